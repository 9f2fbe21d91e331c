extension SADatabase {
    /// The Main Mode SAs a filter selects, by id. A filter naming one remote address, a remote
    /// identity without wildcards, or a remote identity pattern with three literal characters
    /// in a row is answered from an index; others scan.
    public func mainModes(matching filter: MainModeSAFilter = MainModeSAFilter()) -> [MainModeSARecord] {
        mainModeSlots(matching: filter).map { mainModes[$0] }.sorted { $0.id < $1.id }
    }

    /// The Quick Mode SAs a filter selects, by id. A filter naming an SPI, a Main Mode SA id
    /// or Main Mode conditions is answered from the indexes; others scan.
    public func quickModes(matching filter: QuickModeSAFilter = QuickModeSAFilter()) -> [QuickModeSARecord] {
        quickModeSlots(matching: filter).map { quickModes[$0] }.sorted { $0.id < $1.id }
    }

    func mainModeSlots(matching filter: MainModeSAFilter) -> [UInt32] {
        let candidates: [UInt32]
        if let range = filter.remoteAddress, range.first == range.last {
            candidates = mainModeRemoteAddresses.slots(for: range.first, in: mainModes)
        } else if let literal = filter.remoteIdentity?.literal {
            candidates = mainModeSlots(remoteIdentity: literal, scope: filter.identityScope)
        } else if let pattern = filter.remoteIdentity,
            let slots = mainModeIdentityTrigrams.candidates(for: pattern, in: mainModes)
        {
            candidates = slots
        } else {
            return mainModes.slots(where: filter.matches)
        }
        return candidates.filter { filter.matches(mainModes[$0]) }
    }

    func quickModeSlots(matching filter: QuickModeSAFilter) -> [UInt32] {
        var candidates: [UInt32]
        if let spi = filter.spi {
            let inbound = quickModeInboundSPIs.slot(for: spi, in: quickModes)
            candidates = inbound.map { [$0] } ?? []
            candidates += quickModeOutboundSPIs.slots(for: spi, in: quickModes).filter { $0 != inbound }
        } else if let id = filter.mainModeID {
            candidates = mainModeIDs.slot(for: id, in: mainModes).map(quickModesByMainMode.children(of:)) ?? []
        } else if let mainModeFilter = filter.mainMode {
            // Every child of a selected Main Mode SA passes the Main Mode conditions.
            return mainModeSlots(matching: mainModeFilter).flatMap(quickModesByMainMode.children(of:))
                .filter { filter.matchesOwnFields(quickModes[$0]) }
        } else {
            return quickModes.slots(where: filter.matchesOwnFields)
        }
        return candidates.filter { slot in
            let record = quickModes[slot]
            return filter.matchesOwnFields(record)
                && filter.mainMode.map { $0.matches(mainMode(id: record.mainModeID)!) } != false
        }
    }
}
