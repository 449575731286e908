#include "CMosquitto.h"

int mc_mosquitto_version(void) {
    int major = 0, minor = 0, revision = 0;
    return mosquitto_lib_version(&major, &minor, &revision);
}
