import AuthIP
import AuthIPWire
import CXFRM

/// What the kernel tells a key manager on its multicast groups.
public enum XFRMNotification: Sendable, Hashable {
    /// A packet matched a policy with no SA: negotiate one for this traffic.
    case acquire(TrafficRequest, reqid: UInt32)
    /// An SA reached a soft limit (negotiate its successor) or a hard one (the kernel removed it).
    case expire(XFRMReportedState, hard: Bool)

    /// Parses an `XFRM_MSG_ACQUIRE` or `XFRM_MSG_EXPIRE`; nil for any other message.
    public init?(_ message: NetlinkMessage) throws(NetlinkError) {
        switch Int(message.type) {
        case Int(XFRM_MSG_ACQUIRE):
            guard message.payload.count >= MemoryLayout<xfrm_user_acquire>.size else {
                throw .malformed("an ACQUIRE of \(message.payload.count) bytes")
            }
            let acquire: xfrm_user_acquire = NetlinkBytes.read(message.payload, at: 0)
            guard let selector = XFRMSelector(acquire.sel) else {
                throw .malformed("an ACQUIRE of address family \(acquire.sel.family)")
            }
            // The template's reqid: the policy's first.
            let attributes = try message.attributes(after: MemoryLayout<xfrm_user_acquire>.size)
            let template = attributes.first { $0.type == XFRMA_TMPL.rawValue }?.read(xfrm_user_tmpl.self)
            self = .acquire(
                TrafficRequest(
                    source: selector.source.address, destination: selector.destination.address,
                    ipProtocol: selector.ipProtocol, sourcePort: selector.sourcePort,
                    destinationPort: selector.destinationPort),
                reqid: template?.reqid ?? 0)
        case Int(XFRM_MSG_EXPIRE):
            guard message.payload.count >= MemoryLayout<xfrm_user_expire>.size else {
                throw .malformed("an EXPIRE of \(message.payload.count) bytes")
            }
            let hard = message.payload[MemoryLayout<xfrm_usersa_info>.size] != 0
            self = .expire(
                try XFRMReportedState(payload: message, offset: 0, size: MemoryLayout<xfrm_user_expire>.size),
                hard: hard)
        default:
            return nil
        }
    }
}

/// The kernel's answer to a request: `NLMSG_ERROR` with 0 (an acknowledgement) or an errno.
enum NetlinkAnswer {
    case acknowledged
    case refused(errno: Int32)
    case done
    case other

    init(_ message: NetlinkMessage) throws(NetlinkError) {
        switch Int32(message.type) {
        case NLMSG_ERROR:
            guard message.payload.count >= MemoryLayout<Int32>.size else {
                throw .malformed("an error message of \(message.payload.count) bytes")
            }
            let code: Int32 = NetlinkBytes.read(message.payload, at: 0)
            // A negative errno; Int32.min, which no kernel sends, must not trap on negation.
            self = code == 0 ? .acknowledged : .refused(errno: code == .min ? .max : -code)
        case NLMSG_DONE:
            self = .done
        default:
            self = .other
        }
    }
}
