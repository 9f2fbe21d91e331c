/// Why the SA database refused a change. Each carries the HRESULT that Windows' IPsec SA
/// context functions return for the same refusal.
public enum SADatabaseError: Error, Hashable, Sendable {
    case duplicateMainModeID(UInt64)
    case duplicateCookiePair(CookiePair)
    case duplicateQuickModeID(UInt64)
    case duplicateInboundSPI(UInt32)
    case mainModeNotFound(UInt64)
    case quickModeNotFound(UInt64)
    /// An update tried to change a record's id, or the Main Mode SA a Quick Mode SA belongs to.
    case identityChanged

    /// FWP_E_ALREADY_EXISTS, FWP_E_NOT_FOUND or E_INVALIDARG.
    public var hresult: UInt32 {
        switch self {
        case .duplicateMainModeID, .duplicateCookiePair, .duplicateQuickModeID, .duplicateInboundSPI: return 0x8032_0009
        case .mainModeNotFound, .quickModeNotFound: return 0x8032_0008
        case .identityChanged: return 0x8007_0057
        }
    }
}
