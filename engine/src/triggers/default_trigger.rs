//! `default`: Beam's `DefaultTriggerStateMachine`, i.e.
//! `repeatedly(after_watermark)`. It fires whenever the watermark is past
//! the end of the window (the on-time pane, then one per late bundle) and
//! never finishes; it keeps no state.

use super::Ctx;

#[inline]
pub(super) fn should_fire(ctx: &Ctx) -> bool {
    ctx.end_passed()
}
