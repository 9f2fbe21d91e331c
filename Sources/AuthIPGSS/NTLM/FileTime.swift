import Foundation

/// Windows FILETIME: 100-nanosecond ticks since 1601-01-01 UTC, the form of MsvAvTimestamp
/// and of the NTLMv2 client challenge's TimeStamp (MS-NLMP §2.2.2.1, §2.2.2.7).
public struct FileTime: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Seconds from 1601-01-01 to 1970-01-01.
    private static let unixEpochOffset: Double = 11_644_473_600
    private static let ticksPerSecond: Double = 10_000_000

    /// The tick count of `date`, clamped to the FILETIME range.
    public init(_ date: Date) {
        let ticks = (date.timeIntervalSince1970 + Self.unixEpochOffset) * Self.ticksPerSecond
        if !(ticks > 0) {
            rawValue = 0
        } else if ticks >= Double(UInt64.max) {
            rawValue = .max
        } else {
            rawValue = UInt64(ticks)
        }
    }

    /// The distance between two times in seconds, never negative.
    public func distance(to other: FileTime) -> TimeInterval {
        let ticks = rawValue > other.rawValue ? rawValue - other.rawValue : other.rawValue - rawValue
        return Double(ticks) / Self.ticksPerSecond
    }
}
