#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "cjournal.h"

int tianyan_reserve_room(int fd, long offset, long length) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length) == 0 ? 0 : errno;
}
