import AuthIPWire

/// What an index files records under: a key derived from the record, with its own hashing
/// and equality (identities compare without regard to case).
protocol SlotKey {
    associatedtype Record: SlotStorable
    associatedtype Value
    /// The record's key, or nil when the record is not filed under this index.
    static func value(of record: Record) -> Value?
    static func hash(_ value: Value) -> Int
    static func equal(_ a: Value, _ b: Value) -> Bool
}

extension SlotKey where Value: Hashable {
    static func hash(_ value: Value) -> Int { value.hashValue }
    static func equal(_ a: Value, _ b: Value) -> Bool { a == b }
}

/// A key that is an identity, compared without regard to case.
protocol IdentityKey: SlotKey where Value == String {}

extension IdentityKey {
    static func hash(_ value: String) -> Int { CaseInsensitive.hash(value) }
    static func equal(_ a: String, _ b: String) -> Bool { CaseInsensitive.equal(a, b) }
}

enum MainModeIDKey: SlotKey {
    static func value(of record: MainModeSARecord) -> UInt64? { record.id }
}

enum CookiePairKey: SlotKey {
    static func value(of record: MainModeSARecord) -> CookiePair? { record.cookies }
}

enum RemoteAddressKey: SlotKey {
    static func value(of record: MainModeSARecord) -> IPAddress? { record.remote.ip }
}

enum RemoteIdentityKey: IdentityKey {
    static func value(of record: MainModeSARecord) -> String? { record.remoteIdentity }
}

enum RemoteSecondIdentityKey: IdentityKey {
    static func value(of record: MainModeSARecord) -> String? { record.remoteSecondIdentity }
}

enum QuickModeIDKey: SlotKey {
    static func value(of record: QuickModeSARecord) -> UInt64? { record.id }
}

enum InboundSPIKey: SlotKey {
    static func value(of record: QuickModeSARecord) -> UInt32? { record.inboundSPI }
}

enum OutboundSPIKey: SlotKey {
    static func value(of record: QuickModeSARecord) -> UInt32? { record.outboundSPI }
}
