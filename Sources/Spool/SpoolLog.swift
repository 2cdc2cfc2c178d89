import Logging

/// Where the library reports what it could not do but must not fail for (a reason file
/// that could not be written beside a quarantined file, say): the process's log.
enum SpoolLog {
    static let logger = Logger(label: "spool")
}
