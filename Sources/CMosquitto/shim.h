#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <errno.h>

#include <spawn.h>
/* glibc 2.34+; declared under _GNU_SOURCE, which Swift's Glibc module is not built with. Spawned
   children close every descriptor from 3 up. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
