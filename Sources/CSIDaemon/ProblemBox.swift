import NIOConcurrencyHelpers

/// Collects reader issues from any thread.
final class ProblemBox: Sendable {
    private let box = NIOLockedValueBox<[SourceProblem]>([])
    func add(_ problem: SourceProblem) { box.withLockedValue { if $0.count < 1000 { $0.append(problem) } } }
    func take() -> [SourceProblem] {
        box.withLockedValue { problems in
            let taken = problems
            problems.removeAll()
            return taken
        }
    }
}
