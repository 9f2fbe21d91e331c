import AuthIPWire

/// Which Quick Mode SAs a query or removal selects: those matching every condition set. An
/// empty filter selects all.
public struct QuickModeSAFilter: Hashable, Sendable {
    /// Either SPI of the SA.
    public var spi: UInt32?
    /// Selects SAs whose local traffic selector overlaps this range.
    public var localAddress: AddressRange?
    /// Selects SAs whose remote traffic selector overlaps this range.
    public var remoteAddress: AddressRange?
    public var mainModeID: UInt64?
    /// Selects SAs whose Main Mode SA this filter selects.
    public var mainMode: MainModeSAFilter?
    public var role: SARole?

    public init(
        spi: UInt32? = nil, localAddress: AddressRange? = nil, remoteAddress: AddressRange? = nil,
        mainModeID: UInt64? = nil, mainMode: MainModeSAFilter? = nil, role: SARole? = nil
    ) {
        self.spi = spi
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.mainModeID = mainModeID
        self.mainMode = mainMode
        self.role = role
    }

    /// Whether `record`, keyed by `parent`, matches.
    public func matches(_ record: QuickModeSARecord, parent: MainModeSARecord) -> Bool {
        matchesOwnFields(record) && mainMode.map { $0.matches(parent) } != false
    }

    /// Whether `record` matches every condition but `mainMode`.
    func matchesOwnFields(_ record: QuickModeSARecord) -> Bool {
        if let spi, record.inboundSPI != spi, record.outboundSPI != spi { return false }
        if let mainModeID, record.mainModeID != mainModeID { return false }
        if let role, record.role != role { return false }
        if let localAddress, !localAddress.overlaps(record.localSelector.addresses) { return false }
        if let remoteAddress, !remoteAddress.overlaps(record.remoteSelector.addresses) { return false }
        return true
    }
}
