//! Column accumulators for the table builders.
//!
//! Why not arrow's `PrimitiveBuilder`: every `append_option` there updates a value buffer and
//! a null-bitmap builder through capacity checks that do not inline, and a `packets` row makes
//! about fifty of them; with one row per frame that was most of the decode time (perf: ~80%).
//! Here a row is a plain `Vec::push` of an `Option`, and the Arrow value and validity buffers
//! are built once per batch by `From<Vec<Option<_>>>`, a tight loop the compiler vectorises.
//! The method names mirror arrow's builders so the table code reads the same.

use arrow_array::{
    BooleanArray, Int8Array, TimestampNanosecondArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};
use arrow_buffer::{BooleanBuffer, NullBuffer};

/// The validity bitmap of a column, packed 64 rows at a time; None when every row is valid.
fn validity<T>(rows: &[Option<T>]) -> Option<NullBuffer> {
    if rows.iter().all(Option::is_some) {
        return None;
    }
    Some(NullBuffer::new(BooleanBuffer::collect_bool(
        rows.len(),
        |i| rows[i].is_some(),
    )))
}

macro_rules! column {
    ($name:ident, $native:ty, $array:ty) => {
        #[derive(Debug, Default)]
        pub struct $name(Vec<Option<$native>>);

        impl $name {
            pub fn new() -> Self {
                Self(Vec::new())
            }

            pub fn with_capacity(n: usize) -> Self {
                Self(Vec::with_capacity(n))
            }

            #[inline(always)]
            pub fn append_value(&mut self, v: $native) {
                self.0.push(Some(v));
            }

            #[inline(always)]
            pub fn append_option(&mut self, v: Option<$native>) {
                self.0.push(v);
            }

            #[inline(always)]
            pub fn append_null(&mut self) {
                self.0.push(None);
            }

            /// The column as an Arrow array; the accumulator starts over, empty.
            pub fn finish(&mut self) -> $array {
                let rows = std::mem::take(&mut self.0);
                let values: Vec<$native> = rows.iter().map(|v| v.unwrap_or_default()).collect();
                <$array>::new(values.into(), validity(&rows))
            }
        }
    };
}

column!(I8Column, i8, Int8Array);
column!(U8Column, u8, UInt8Array);
column!(U16Column, u16, UInt16Array);
column!(U32Column, u32, UInt32Array);
column!(U64Column, u64, UInt64Array);

/// Booleans are bit-packed in Arrow: values and validity are both built 64 rows at a time.
#[derive(Debug, Default)]
pub struct BoolColumn(Vec<Option<bool>>);

impl BoolColumn {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    #[inline(always)]
    pub fn append_value(&mut self, v: bool) {
        self.0.push(Some(v));
    }

    #[inline(always)]
    pub fn append_option(&mut self, v: Option<bool>) {
        self.0.push(v);
    }

    #[inline(always)]
    pub fn append_null(&mut self) {
        self.0.push(None);
    }

    pub fn finish(&mut self) -> BooleanArray {
        let rows = std::mem::take(&mut self.0);
        let values = BooleanBuffer::collect_bool(rows.len(), |i| rows[i].unwrap_or(false));
        BooleanArray::new(values, validity(&rows))
    }
}

/// Nanosecond timestamps in UTC.
#[derive(Debug, Default)]
pub struct TimestampColumn(Vec<Option<i64>>);

impl TimestampColumn {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    #[inline(always)]
    pub fn append_option(&mut self, v: Option<i64>) {
        self.0.push(v);
    }

    pub fn finish(&mut self) -> TimestampNanosecondArray {
        let rows = std::mem::take(&mut self.0);
        let values: Vec<i64> = rows.iter().map(|v| v.unwrap_or_default()).collect();
        TimestampNanosecondArray::new(values.into(), validity(&rows)).with_timezone("UTC")
    }
}
