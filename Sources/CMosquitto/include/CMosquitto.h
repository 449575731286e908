#ifndef MODULE_CONTROLLER_CMOSQUITTO_H
#define MODULE_CONTROLLER_CMOSQUITTO_H

#include <mosquitto.h>

/* libmosquitto needs no variadic shims; this target exists so Swift can import the header
   and link the library. */
int mc_mosquitto_version(void);

#endif
