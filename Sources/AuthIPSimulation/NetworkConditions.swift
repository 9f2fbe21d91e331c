import Foundation

/// How the simulated network mistreats datagrams: each is lost, duplicated or held back
/// (reordered) with these probabilities, and delayed by `latency` plus up to `jitter`.
public struct NetworkConditions: Sendable, Hashable {
    public var loss: Double
    public var duplication: Double
    public var reordering: Double
    public var latency: Duration
    public var jitter: Duration

    public init(
        loss: Double = 0, duplication: Double = 0, reordering: Double = 0,
        latency: Duration = .milliseconds(10), jitter: Duration = .zero
    ) {
        self.loss = loss
        self.duplication = duplication
        self.reordering = reordering
        self.latency = latency
        self.jitter = jitter
    }

    /// A perfect network with 10 ms latency.
    public static let ideal = NetworkConditions()
}
