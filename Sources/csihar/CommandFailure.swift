/// A csihar command that failed at run time (a file that cannot be read, a model that does not fit, csihard refusing
/// a request or not answering): ArgumentParser prints it as one `Error: ...` line and exits with status 1, without
/// the usage text a `ValidationError` (a wrong option) brings. The one error type of the commands' own failures.
struct CommandFailure: Error, CustomStringConvertible {
    /// The message, naming what failed (file, stream, field).
    var description: String

    /// A failure with `message`.
    init(_ message: String) { description = message }
}
