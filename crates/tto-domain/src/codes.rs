//! The `code_enum!` macro: closed sets of codes with stable string forms.

/// Declares a closed set of codes with a stable string form, used in storage, the API and
/// as message-catalogue keys.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Result<Self, $crate::validation::Violation> {
                let code = code.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == code)
                    .ok_or_else(|| $crate::validation::Violation::UnknownChoice { value: code.to_string() })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
