// The kernel's IPsec configuration interface (NETLINK_XFRM), as linux-libc-dev describes it.
// glibc's headers first: linux/libc-compat.h then leaves their definitions (in6_addr) alone.
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <linux/udp.h>

// The netlink framing macros, as functions Swift can call.
static inline unsigned int cxfrm_nlmsg_align(unsigned int length) { return NLMSG_ALIGN(length); }
static inline unsigned int cxfrm_nla_align(unsigned int length) { return NLA_ALIGN(length); }
