/*
 * hidtransport: what both transports share (error texts).
 */
#include "hidtransport.h"

const char *ht_strerror(int code)
{
	switch (code) {
	case HT_ERR_IO: return "input/output error";
	case HT_ERR_NODEV: return "no such device (it may have been disconnected)";
	case HT_ERR_TIMEOUT: return "timeout";
	case HT_ERR_PIPE: return "request stalled (broken pipe)";
	case HT_ERR_ACCESS: return "permission denied";
	case HT_ERR_BUSY: return "device busy (claimed by another program or kernel driver)";
	case HT_ERR_NOTFOUND: return "no matching USB device";
	case HT_ERR_INVAL: return "invalid argument";
	default: return code >= 0 ? "success" : "unknown error";
	}
}
