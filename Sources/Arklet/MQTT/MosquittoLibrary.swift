import CMosquitto

/// Process-wide libmosquitto state: `mosquitto_lib_init` must run exactly once, before any
/// client is created, and is not thread-safe; a global `let` gives us a thread-safe one-time
/// initialiser. The library is never cleaned up (clients may live until exit).
enum MosquittoLibrary {
    private static let initialised: Int32 = mosquitto_lib_init()

    /// Runs `mosquitto_lib_init` the first time it is called.
    static func ensureInitialised() {
        _ = initialised
    }

    /// libmosquitto's text for an error code.
    static func describe(_ code: Int32) -> String {
        String(cString: mosquitto_strerror(code))
    }

    /// libmosquitto's text for a CONNACK code.
    static func describeConnack(_ code: Int32) -> String {
        String(cString: mosquitto_connack_string(code))
    }
}
