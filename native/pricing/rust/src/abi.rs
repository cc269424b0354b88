//! The header's types and constants, mirrored exactly (#[repr(C)]). seam's ABI check proves
//! the mirror: seam_layout reports these layouts and seam compares them with cgo's view.

pub const SEAM_ABI_VERSION: u32 = 1;

pub const SEAM_OK: i32 = 0;
pub const SEAM_BAD_INPUT: i32 = 1;
pub const SEAM_NO_RULE: i32 = 2;
pub const SEAM_INTERNAL: i32 = 3;
pub const SEAM_BUSY: i32 = 4;

pub const SEAM_TIER_COUNT: u32 = 3;

pub const SEAM_MAX_ITEM_COUNT: u32 = 10000;
pub const SEAM_MAX_SUBTOTAL_CENTS: i64 = 100_000_000_000;
pub const SEAM_MAX_COUPON_LEN: u32 = 32;
pub const SEAM_MAX_RULES_TEXT: u32 = 65536;
pub const SEAM_MAX_LINE_LEN: u32 = 256;
pub const SEAM_MAX_RULES: u32 = 1024;
pub const SEAM_MAX_REGION_ID: u32 = 65535;
pub const SEAM_MAX_BP: u32 = 10000;

#[repr(C)]
pub struct PricingRequest {
    pub struct_size: u32,
    pub item_count: u32,
    pub subtotal_cents: i64,
    pub region_id: u32,
    pub customer_tier: u32,
    pub coupon: *const u8,
    pub coupon_len: usize,
}

#[repr(C)]
pub struct PricingResult {
    pub struct_size: u32,
    pub final_price_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
}

#[repr(C)]
#[derive(Default)]
pub struct SeamLayoutInfo {
    pub layout_size: u32,
    pub request_size: u32,
    pub request_align: u32,
    pub request_struct_size: u32,
    pub request_item_count: u32,
    pub request_subtotal_cents: u32,
    pub request_region_id: u32,
    pub request_customer_tier: u32,
    pub request_coupon: u32,
    pub request_coupon_len: u32,
    pub result_size: u32,
    pub result_align: u32,
    pub result_struct_size: u32,
    pub result_final_price_cents: u32,
    pub result_discount_cents: u32,
    pub result_tax_cents: u32,
}

impl SeamLayoutInfo {
    pub fn of_this_build() -> Self {
        use core::mem::{align_of, offset_of, size_of};
        let u = |x: usize| x as u32;
        SeamLayoutInfo {
            layout_size: u(size_of::<SeamLayoutInfo>()),
            request_size: u(size_of::<PricingRequest>()),
            request_align: u(align_of::<PricingRequest>()),
            request_struct_size: u(offset_of!(PricingRequest, struct_size)),
            request_item_count: u(offset_of!(PricingRequest, item_count)),
            request_subtotal_cents: u(offset_of!(PricingRequest, subtotal_cents)),
            request_region_id: u(offset_of!(PricingRequest, region_id)),
            request_customer_tier: u(offset_of!(PricingRequest, customer_tier)),
            request_coupon: u(offset_of!(PricingRequest, coupon)),
            request_coupon_len: u(offset_of!(PricingRequest, coupon_len)),
            result_size: u(size_of::<PricingResult>()),
            result_align: u(align_of::<PricingResult>()),
            result_struct_size: u(offset_of!(PricingResult, struct_size)),
            result_final_price_cents: u(offset_of!(PricingResult, final_price_cents)),
            result_discount_cents: u(offset_of!(PricingResult, discount_cents)),
            result_tax_cents: u(offset_of!(PricingResult, tax_cents)),
        }
    }
}
