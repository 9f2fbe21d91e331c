extension AuditRecord {
    /// The event as `EvtRender(EvtRenderEventXml)` / `EventRecord.ToXml()` write it: one line,
    /// single-quoted attributes, empty elements as `<X />`, `<System>` children in Windows'
    /// order, enumerated values as `%%NNNN`.
    public var windowsXML: String {
        let (descriptor, values) = event.parts
        var xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        xml += "<Provider Name='\(SecurityAuditingProvider.name)' Guid='\(SecurityAuditingProvider.guid)' />"
        xml += "<EventID>\(descriptor.eventID)</EventID>"
        xml += "<Version>\(descriptor.version)</Version>"
        xml += "<Level>\(SecurityAuditingProvider.level)</Level>"
        xml += "<Task>\(descriptor.task)</Task>"
        xml += "<Opcode>\(SecurityAuditingProvider.opcode)</Opcode>"
        xml += "<Keywords>\(descriptor.keywords.hexValue)</Keywords>"
        xml += "<TimeCreated SystemTime='\(time.systemTime)' />"
        xml += "<EventRecordID>\(recordID)</EventRecordID>"
        xml += activityIDText.map { "<Correlation ActivityID='\($0)' />" } ?? "<Correlation />"
        xml += "<Execution ProcessID='\(origin.processID)' ThreadID='\(origin.threadID)' />"
        xml += "<Channel>\(SecurityAuditingProvider.channel)</Channel>"
        xml += "<Computer>\(Self.escapedText(origin.computer))</Computer>"
        xml += "<Security /></System>"
        if values.isEmpty {
            xml += "<EventData />"
        } else {
            xml += "<EventData>"
            for (field, value) in zip(descriptor.fields, values) {
                xml += "<Data Name='\(field.name)'>\(Self.escapedText(value.storedText))</Data>"
            }
            xml += "</EventData>"
        }
        return xml + "</Event>"
    }

    /// Element text: `&`, `<` and `>` as entities; characters XML 1.0 cannot carry at all
    /// (C0 controls other than TAB, LF and CR, and U+FFFE/U+FFFF) as U+FFFD.
    private static func escapedText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\t", "\n", "\r": out.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out.append("\u{FFFD}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
