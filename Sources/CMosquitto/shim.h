#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <errno.h>

/* fallocate(2) is a GNU extension that Swift's Glibc module does not export. The journal uses it
   to reserve disk room ahead of its writes (FALLOC_FL_KEEP_SIZE = 1: the file's size stays at what
   was written). Returns 0 or the errno. */
extern int fallocate(int fd, int mode, long offset, long len);
static inline int tianyan_reserve_room(int fd, long offset, long length) {
    return fallocate(fd, 1, offset, length) == 0 ? 0 : errno;
}

#include <spawn.h>
/* glibc 2.34+; declared under _GNU_SOURCE, which Swift's Glibc module is not built with. Spawned
   children close every descriptor from 3 up. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
