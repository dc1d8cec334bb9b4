#pragma once

/* Reserves disk room for the message journal ahead of its writes: fallocate(2) with
   FALLOC_FL_KEEP_SIZE (the file's size stays at what was written). fallocate is a GNU extension
   that Swift's Glibc module does not export. Returns 0 or the errno. */
int tianyan_reserve_room(int fd, long offset, long length);
