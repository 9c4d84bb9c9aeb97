import Foundation

/// A short reason for a failed file operation, for one-line messages that name the path themselves.
///
/// Foundation's file errors print as `Error Domain=NSCocoaErrorDomain Code=260 ... UserInfo={...}`; a user needs the
/// operating system's reason (`No such file or directory`, `Not a directory`, `Permission denied`). This takes it from
/// the POSIX error underneath when there is one (on Linux a Swift `POSIXError` under `NSUnderlyingError`), else the
/// error's own description.
public enum FileErrorReason {
    /// `strerror` of the POSIX error at or under `error`, or its localized description.
    public static func describe(_ error: any Error) -> String {
        if let code = posixCode(error) { return String(cString: strerror(code)) }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey], let code = posixCode(underlying) {
            return String(cString: strerror(code))
        }
        return ns.localizedDescription
    }

    private static func posixCode(_ value: Any) -> Int32? {
        if let posix = value as? POSIXError { return posix.code.rawValue }
        if let ns = value as? NSError, ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        return nil
    }
}
