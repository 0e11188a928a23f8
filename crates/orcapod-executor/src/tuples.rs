//! Type-level plumbing of typed functions: argument tuples, output tuples and return values.
//!
//! Users never name these traits; they make
//! [`FunctionBuilder::build`](crate::FunctionBuilder::build) accept closures of 0 to 6 typed
//! parameters returning 0 to 6 typed outputs, optionally wrapped in `Option` (drop the packet)
//! and/or `Result` (fail the packet).

use std::any::Any;
use std::fmt::Display;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::ArrayBuilder;
use orcapod_datagram::Field;

use crate::batch::InputBatch;
use crate::column::ColumnType;

/// A type-erased default value of an optional input.
pub type DefaultValue = Option<Arc<dyn Any + Send + Sync>>;

/// One argument column: a typed reader, or the default of an absent optional input.
pub enum ArgColumn<'a, T: ColumnType> {
    /// Values come from the column.
    Array(T::Reader<'a>),
    /// The column is absent: every row gets this default.
    Const(&'a T),
}

fn arg_column<'a, T: ColumnType>(
    input: &'a InputBatch,
    defaults: &'a [DefaultValue],
    i: usize,
) -> Result<ArgColumn<'a, T>, (usize, String)> {
    match input.column(i) {
        Some(array) => T::reader(array).map(ArgColumn::Array).map_err(|e| (i, e)),
        None => defaults
            .get(i)
            .and_then(|d| d.as_ref())
            .and_then(|d| d.downcast_ref::<T>())
            .map(ArgColumn::Const)
            .ok_or_else(|| {
                (
                    i,
                    "the column is absent and the parameter has no default".to_string(),
                )
            }),
    }
}

#[inline]
fn read_arg<T: ColumnType>(
    col: &ArgColumn<'_, T>,
    i: usize,
    row: usize,
) -> Result<T, (usize, String)> {
    match col {
        ArgColumn::Array(reader) => match T::read(reader, row) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err((i, "null value for a non-Option parameter".to_string())),
            Err(e) => Err((i, e)),
        },
        ArgColumn::Const(v) => Ok((*v).clone()),
    }
}

/// A tuple of parameter types.
pub trait InputTuple: Sized + Send + 'static {
    /// The pre-downcast argument columns.
    type Columns<'a>: Send + Sync;
    /// Logical fields for the given names.
    fn fields(names: &[String]) -> Vec<Field>;
    /// Downcast the input columns once per batch. Errors carry the parameter index.
    fn columns<'a>(
        input: &'a InputBatch,
        defaults: &'a [DefaultValue],
    ) -> Result<Self::Columns<'a>, (usize, String)>;
    /// Read the arguments of one row. Errors carry the parameter index.
    fn read(columns: &Self::Columns<'_>, row: usize) -> Result<Self, (usize, String)>;
}

/// A tuple of output types.
pub trait OutputTuple: Send + 'static {
    /// One Arrow builder per output.
    type Builders;
    /// Logical fields for the given names.
    fn fields(names: &[String]) -> Vec<Field>;
    /// Builders with room for `capacity` rows.
    fn builders(capacity: usize) -> Self::Builders;
    /// Append a null to every builder (dropped or failed row).
    fn append_nulls(builders: &mut Self::Builders);
    /// Finish the builders into arrays.
    fn finish(builders: Self::Builders) -> Vec<ArrayRef>;
}

/// What writing one row's return value produced.
#[derive(Debug, PartialEq)]
pub enum RowState {
    /// An output packet was written.
    Ok,
    /// The function returned `None`: no packet (nulls were written as placeholders).
    Dropped,
    /// The function returned `Err(e)`: the message (nulls were written as placeholders).
    Failed(String),
}

/// A return value that can be written as the outputs `O`. `M` is an inference marker.
pub trait IntoOutputs<O: OutputTuple, M>: Send + 'static {
    /// Append this value to the output builders.
    fn write(self, builders: &mut O::Builders) -> RowState;
}

/// Marker: a single output returned bare (`T` for outputs `(T,)`).
pub struct ScalarOut;
/// Marker: outputs returned as a tuple.
pub struct TupleOut;
/// Marker: `Option<outputs>`; `None` drops the packet.
pub struct OptionOut<M>(PhantomData<M>);
/// Marker: `Result<outputs, E>`; `Err` fails the packet.
pub struct ResultOut<M>(PhantomData<M>);

impl<T: ColumnType> IntoOutputs<(T,), ScalarOut> for T {
    #[inline]
    fn write(self, builders: &mut <(T,) as OutputTuple>::Builders) -> RowState {
        T::append(&mut builders.0, self);
        RowState::Ok
    }
}

impl<X, O, M> IntoOutputs<O, OptionOut<M>> for Option<X>
where
    X: IntoOutputs<O, M>,
    O: OutputTuple,
{
    #[inline]
    fn write(self, builders: &mut O::Builders) -> RowState {
        match self {
            Some(x) => x.write(builders),
            None => {
                O::append_nulls(builders);
                RowState::Dropped
            }
        }
    }
}

impl<X, O, M, E> IntoOutputs<O, ResultOut<M>> for Result<X, E>
where
    X: IntoOutputs<O, M>,
    O: OutputTuple,
    E: Display + Send + 'static,
{
    #[inline]
    fn write(self, builders: &mut O::Builders) -> RowState {
        match self {
            Ok(x) => x.write(builders),
            Err(e) => {
                O::append_nulls(builders);
                RowState::Failed(e.to_string())
            }
        }
    }
}

/// A callable taking the parameter tuple `In` (implemented for `Fn` closures of arity 0..=6).
pub trait RowFn<In, R>: Send + Sync + 'static {
    /// Call with unpacked arguments.
    fn call(&self, args: In) -> R;
}

/// Type-level append of `T` to a tuple (how the builder accumulates parameter types).
pub trait Push<T> {
    /// The tuple with `T` appended.
    type Output;
}

macro_rules! tuple_impls {
    ($($T:ident $i:tt),*) => {
        impl<$($T: ColumnType),*> InputTuple for ($($T,)*) {
            type Columns<'a> = ($(ArgColumn<'a, $T>,)*);

            #[allow(unused_variables)]
            fn fields(names: &[String]) -> Vec<Field> {
                vec![$($T::field(&names[$i])),*]
            }

            #[allow(unused_variables)]
            fn columns<'a>(
                input: &'a InputBatch,
                defaults: &'a [DefaultValue],
            ) -> Result<Self::Columns<'a>, (usize, String)> {
                Ok(($(arg_column::<$T>(input, defaults, $i)?,)*))
            }

            #[inline]
            #[allow(unused_variables)]
            fn read(columns: &Self::Columns<'_>, row: usize) -> Result<Self, (usize, String)> {
                Ok(($(read_arg::<$T>(&columns.$i, $i, row)?,)*))
            }
        }

        impl<$($T: ColumnType),*> OutputTuple for ($($T,)*) {
            type Builders = ($(<$T as ColumnType>::Builder,)*);

            #[allow(unused_variables)]
            fn fields(names: &[String]) -> Vec<Field> {
                vec![$($T::field(&names[$i])),*]
            }

            #[allow(unused_variables, clippy::unused_unit)]
            fn builders(capacity: usize) -> Self::Builders {
                ($($T::builder(capacity),)*)
            }

            #[inline]
            #[allow(unused_variables)]
            fn append_nulls(builders: &mut Self::Builders) {
                $($T::append_null(&mut builders.$i);)*
            }

            #[allow(unused_variables, unused_mut)]
            fn finish(mut builders: Self::Builders) -> Vec<ArrayRef> {
                vec![$(ArrayBuilder::finish(&mut builders.$i)),*]
            }
        }

        impl<$($T: ColumnType),*> IntoOutputs<($($T,)*), TupleOut> for ($($T,)*) {
            #[inline]
            #[allow(unused_variables)]
            fn write(self, builders: &mut <($($T,)*) as OutputTuple>::Builders) -> RowState {
                $($T::append(&mut builders.$i, self.$i);)*
                RowState::Ok
            }
        }

        impl<Func, Ret, $($T),*> RowFn<($($T,)*), Ret> for Func
        where
            Func: Fn($($T),*) -> Ret + Send + Sync + 'static,
        {
            #[inline]
            #[allow(unused_variables)]
            fn call(&self, args: ($($T,)*)) -> Ret {
                self($(args.$i),*)
            }
        }
    };
}

tuple_impls!();
tuple_impls!(A 0);
tuple_impls!(A 0, B 1);
tuple_impls!(A 0, B 1, C 2);
tuple_impls!(A 0, B 1, C 2, D 3);
tuple_impls!(A 0, B 1, C 2, D 3, E 4);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, G 5);

impl<T> Push<T> for () {
    type Output = (T,);
}
impl<A, T> Push<T> for (A,) {
    type Output = (A, T);
}
impl<A, B, T> Push<T> for (A, B) {
    type Output = (A, B, T);
}
impl<A, B, C, T> Push<T> for (A, B, C) {
    type Output = (A, B, C, T);
}
impl<A, B, C, D, T> Push<T> for (A, B, C, D) {
    type Output = (A, B, C, D, T);
}
impl<A, B, C, D, E, T> Push<T> for (A, B, C, D, E) {
    type Output = (A, B, C, D, E, T);
}
