package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "table.h"
*/
import "C"

// symbolNames lists every symbol of the contract, in slot order. A library must export all.
var symbolNames = [...]string{
	"seam_abi_version", "seam_engine_name", "seam_layout", "pricing_rules_new", "pricing_rules_load",
	"pricing_quote", "pricing_rules_describe", "pricing_rules_export", "seam_bytes_free",
	"pricing_rules_free", "seam_last_error",
}

// Limits from the header, for targets and tests.
const (
	MaxItemCount     = uint32(C.SEAM_MAX_ITEM_COUNT)
	MaxSubtotalCents = int64(C.SEAM_MAX_SUBTOTAL_CENTS)
	MaxCouponLen     = int(C.SEAM_MAX_COUPON_LEN)
	MaxRulesText     = int(C.SEAM_MAX_RULES_TEXT)
	MaxLineLen       = int(C.SEAM_MAX_LINE_LEN)
	MaxRules         = int(C.SEAM_MAX_RULES)
	MaxRegionID      = uint32(C.SEAM_MAX_REGION_ID)
	MaxBP            = uint32(C.SEAM_MAX_BP)
	TierCount        = uint32(C.SEAM_TIER_COUNT)
)
