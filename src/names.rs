//! The one table of names per enum that files and messages spell out: what scenario files, the
//! library's knobs, node flags, recordings and messages call each value.
//!
//! It is a macro, [`named!`], so that every layer can give its enums their names without depending
//! on another: the measurement vocabulary, the scenario model, the user directory.

/// Gives an enum its table of names: `NAMES` (every value with its name, in the order messages
/// list them), `name()` (an exhaustive `match`, so a new variant without a name does not compile)
/// and `from_name()`.
macro_rules! named {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value with its name in scenario files, in the order messages list them.
            pub const NAMES: &'static [($ty, &'static str)] = &[$(($ty::$variant, $name)),+];

            /// The value's name in scenario files.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value `name` stands for.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::NAMES.iter().find(|(_, n)| *n == name).map(|(value, _)| *value)
            }

            /// Every name, in the order of [`Self::NAMES`].
            pub fn names() -> impl Iterator<Item = &'static str> {
                Self::NAMES.iter().map(|(_, n)| *n)
            }
        }
    };
}

pub(crate) use named;
