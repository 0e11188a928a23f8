//! The `packet_function!` macro.

/// Define a typed packet function with Rust function syntax, like orcapod-python's
/// `@function_pod(output_keys=…)`.
///
/// * Parameters map to packet columns of the same name; their types give the input schema.
///   `name: T = default` makes a parameter optional (used when the stream lacks the column).
/// * `-> (key: T, …)` names and types the outputs once (one or more; `-> ()` for none). The
///   body returns the outputs (a bare value for one output, a tuple for several), or
///   `Option<…>` (`None` drops the packet), or `Result<…, E>` (`Err` fails the packet).
/// * Identity: the whole definition (signature and body tokens, as `stringify!` renders them)
///   is the implementation source, so **editing the body changes the function's uri** (name
///   component `name@<16 hex>`), unless a version is pinned with `#[version = "v1.0"]`, which
///   restores the plain name: then identity is `(name, outputs, major version, type id)` and
///   bumping the major version is the author's job. Comments and formatting do not matter.
/// * `#[type_id = "…"]` (after `#[version]`, if both) overrides the type id.
///
/// ```
/// use orcapod_executor::{packet_function, PacketFunction};
/// let pf = packet_function! {
///     fn pressure_ratio(temperature: f64, pressure: f64) -> (ratio: f64, ok: bool) {
///         let r = pressure / temperature;
///         (r, r > 1.0)
///     }
/// };
/// assert_eq!(pf.output_schema().to_string(), "{ratio: float, ok: bool}");
/// assert!(pf.uri().components()[0].starts_with("pressure_ratio@"));
///
/// let pinned = packet_function! {
///     #[version = "v1.0"]
///     fn add(x: i64, y: i64 = 5) -> (z: i64) { x + y }
/// };
/// assert_eq!(pinned.uri().components()[0], "add");
/// assert_eq!(pinned.uri().components()[2], "v1");
/// ```
#[macro_export]
macro_rules! packet_function {
    (
        $(#[version = $version:literal])?
        $(#[type_id = $type_id:literal])?
        fn $name:ident ( $( $arg:ident : $aty:ty $(= $default:expr)? ),* $(,)? )
            -> ( $( $out:ident : $oty:ty ),* $(,)? )
        $body:block
    ) => {{
        let builder = $crate::FunctionBuilder::new(::core::stringify!($name)).implementation_source(
            ::core::stringify!(fn $name ( $( $arg : $aty $(= $default)? ),* ) -> ( $( $out : $oty ),* ) $body),
        );
        $( let builder = builder.pin_version($version); )?
        $( let builder = builder.type_id($type_id); )?
        $( let builder = $crate::__packet_function_input!(builder, $arg, $aty $(, $default)?); )*
        $( let builder = builder.output::<$oty>(::core::stringify!($out)); )*
        builder.build(move |$($arg: $aty),*| $body)
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __packet_function_input {
    ($builder:expr, $arg:ident, $aty:ty) => {
        $builder.input::<$aty>(::core::stringify!($arg))
    };
    ($builder:expr, $arg:ident, $aty:ty, $default:expr) => {
        $builder.input_or::<$aty>(::core::stringify!($arg), $default)
    };
}
