import ArgumentParser
import CSIEvents
import Foundation

extension CalibrateCommand {
    /// Sends one `calibration.*` request line to csihard and returns its final `{"type":"calibration",...}` reply
    /// (a `"status":"recording"` acknowledgement is passed to `progress`); an `error` reply is thrown with its message.
    static func exchange(socket: String, request: String, timeout: Double,
                         progress: ([String: Any]) -> Void = { _ in }) throws -> (line: String, object: [String: Any]) {
        let connection: SubscriberConnection
        connection = try SubscriberConnection(path: socket)   // a runtime failure: exit 1, one line, no usage
        try connection.send(line: "{\"types\":[]}")      // no events on this connection: only the replies
        try connection.send(line: request)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, let line = connection.nextLine(timeout: remaining) else {
                throw CommandFailure("no calibration reply from \(socket) within \(Int(timeout)) s")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            switch object["type"] as? String {
            case "error": throw CommandFailure(object["message"] as? String ?? line)
            case "calibration":
                if object["status"] as? String == "recording" { progress(object); continue }
                return (line, object)
            default: continue
            }
        }
    }

    /// `"text"` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONLine.data([text])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
