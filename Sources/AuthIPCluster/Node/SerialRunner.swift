import NIOConcurrencyHelpers

/// Runs async operations one at a time, in the order they were handed in: each starts once the
/// one before it has ended, whatever it awaited meanwhile (an actor would let them interleave
/// at every `await`).
final class SerialRunner: Sendable {
    private let tail = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func run<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let task = tail.withLockedValue { tail in
            let previous = tail
            let task = Task {
                await previous?.value
                return try await body()
            }
            tail = Task { _ = try? await task.value }
            return task
        }
        return try await task.value
    }
}
