extension AuditEvent {
    /// The text Event Viewer shows on the General tab: the message template with CR LF line
    /// breaks, TABs, the field values inserted and `%%NNNN` values replaced by their
    /// msobjs.dll strings. Literal values are inserted as they are; only enumerated fields
    /// are expanded.
    public var message: String {
        let (descriptor, values) = parts
        var text = ""
        for segment in descriptor.message {
            switch segment {
            case .text(let literal): text += literal
            case .field(let index): text += values.indices.contains(index) ? values[index].displayText : ""
            }
        }
        return text
    }
}
