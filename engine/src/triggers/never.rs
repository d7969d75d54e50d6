//! `never`: never fires; the window emits only when it expires (Beam's
//! `Never.NeverTrigger`).

#[inline]
pub(super) fn should_fire() -> bool {
    false
}
