/// SA lists in the text form of `netsh advfirewall monitor show mmsa` and `show qmsa`: per
/// SA a "… SA at <UTC time>" heading, a dashed rule and aligned `Label: value` lines, then
/// "Ok.". Timestamps are the records' creation times in UTC, so output is deterministic.
public enum NetshSATable {
    /// What netsh prints when no SA matches.
    public static let noMatch = "\nNo SAs match the specified criteria.\n\n"

    public static func mainModes(_ records: some Collection<MainModeSARecord>) -> String {
        table(
            records.map { record in
                var lines = [
                    ("Local IP Address", record.local.ip.description),
                    ("Remote IP Address", record.remote.ip.description),
                    ("My ID", record.localIdentity ?? "None"),
                    ("Peer ID", record.remoteIdentity ?? "None"),
                ]
                if record.secondAuthenticationMethod != nil {
                    lines += [
                        ("My 2nd ID", record.localSecondIdentity ?? "None"),
                        ("Peer 2nd ID", record.remoteSecondIdentity ?? "None"),
                    ]
                }
                var offer = "\(record.cipher.netshName)-\(record.hash.netshName)"
                if let group = record.diffieHellmanGroup { offer += "-\(group.netshName)" }
                lines += [
                    ("Auth1", record.authenticationMethod.netshFirstName),
                    ("Auth2", record.secondAuthenticationMethod?.netshSecondName ?? "None"),
                    ("MM Offer", offer),
                    ("Cookie Pair", record.cookies.description),
                    ("Health Cert", "No"),
                ]
                return block("Main Mode SA at \(NetshTimestamp.text(record.created))", lines)
            })
    }

    public static func quickModes(_ records: some Collection<QuickModeSARecord>) -> String {
        table(
            records.map { record in
                var lines = [
                    ("Local IP Address", record.localSelector.addresses.description),
                    ("Remote IP Address", record.remoteSelector.addresses.description),
                    ("Local Port", record.localSelector.port == 0 ? "Any" : String(record.localSelector.port)),
                    ("Remote Port", record.remoteSelector.port == 0 ? "Any" : String(record.remoteSelector.port)),
                    ("Protocol", NetshProtocolName.text(record.localSelector.ipProtocol)),
                    ("Direction", "Both"),
                    ("Encapsulation", record.udpEncapsulated ? "UDP" : "None"),
                ]
                if case .tunnel(let local, let remote) = record.encapsulation {
                    lines += [
                        ("Local Tunnel Endpoint", local.description), ("Remote Tunnel Endpoint", remote.description),
                    ]
                }
                lines += [
                    ("QM Offer", offer(record)),
                    ("PFS DH Group", record.pfsGroup?.netshName ?? "None"),
                    ("Inbound SPI", hex(record.inboundSPI)),
                    ("Outbound SPI", hex(record.outboundSPI)),
                ]
                return block("Quick Mode SA at \(NetshTimestamp.text(record.created))", lines)
            })
    }

    /// `ESP:<integrity>-<encryption>+<lifetime>min/<lifetime>kb`, as netsh's qmsecmethods
    /// are written; an AEAD cipher is its own integrity.
    static func offer(_ record: QuickModeSARecord) -> String {
        let integrity =
            record.cipher.isAEAD && record.integrity == .none ? record.cipher.netshName : record.integrity.netshName
        let seconds = record.lifetimeSeconds
        var text =
            "ESP:\(integrity)-\(record.cipher.netshName)+"
            + (seconds % 60 == 0 ? "\(seconds / 60)min" : "\(seconds)sec")
        if record.lifetimeKilobytes > 0 { text += "/\(record.lifetimeKilobytes)kb" }
        return text
    }

    private static let labelWidth = 38
    private static let rule = String(repeating: "-", count: 70)

    private static func block(_ heading: String, _ lines: [(String, String)]) -> String {
        var text = "\n\(heading)\n\(rule)\n"
        for (label, value) in lines {
            let padded = label + ":"
            text += padded + String(repeating: " ", count: max(1, labelWidth - padded.count)) + value + "\n"
        }
        return text
    }

    private static func table(_ blocks: [String]) -> String {
        blocks.isEmpty ? noMatch : blocks.joined() + "\nOk.\n\n"
    }

    private static func hex(_ spi: UInt32) -> String {
        let digits = String(spi, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

extension SADatabase {
    /// The Main Mode SAs a filter selects, by id, as `netsh advfirewall monitor show mmsa`
    /// prints them.
    public func mainModeTable(matching filter: MainModeSAFilter = MainModeSAFilter()) -> String {
        NetshSATable.mainModes(mainModes(matching: filter))
    }

    /// The Quick Mode SAs a filter selects, by id, as `netsh advfirewall monitor show qmsa`
    /// prints them.
    public func quickModeTable(matching filter: QuickModeSAFilter = QuickModeSAFilter()) -> String {
        NetshSATable.quickModes(quickModes(matching: filter))
    }
}
