import Foundation

/// Whether the tests run under a sanitizer: `make sanitize` (scripts/sanitize.sh) sets `CSIHAR_SANITIZER` to
/// `address` or `thread`.
///
/// Two kinds of expectation are skipped under a sanitizer, each with a printed `SKIP` line: resident-memory bounds
/// (AddressSanitizer's shadow memory, redzones and quarantine of freed blocks, ThreadSanitizer's shadow memory,
/// grow a process's RSS by tens of MB whatever the code does) and expectations that need the instrumented daemon to
/// produce output at its normal pace (it runs several times slower). Everything else a test checks still runs.
public enum Sanitizer {
    /// `address`, `thread`, or `nil` in a normal run.
    public static let active: String? = {
        let value = ProcessInfo.processInfo.environment["CSIHAR_SANITIZER"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// True in a normal run; under a sanitizer false, after printing `SKIP under <sanitizer>: <what>`.
    public static func measuresMemory(_ what: String) -> Bool {
        guard let active else { return true }
        print("SKIP under the \(active) sanitizer: \(what) (the sanitizer's own shadow memory and quarantine grow RSS)")
        return false
    }

    /// True in a normal run; under a sanitizer false, after printing `SKIP under <sanitizer>: <what>`.
    public static func keepsPace(_ what: String) -> Bool {
        guard let active else { return true }
        print("SKIP under the \(active) sanitizer: \(what) (the instrumented code runs several times slower)")
        return false
    }
}
