//! Column accumulators for the table builders.
//!
//! Why not arrow's builders: every `append_option` there updates a value buffer and a
//! null-bitmap builder through capacity checks that do not inline, and a `packets` row makes
//! about sixty of them; with one row per frame that was most of the decode time (perf: ~80%).
//!
//! Two layouts, chosen per column by how often it has a value (the choice changes the cost,
//! never the output):
//!
//! - **Dense** ([`Column`], [`BoolColumn`], [`StrColumn`]) for columns that have a value in
//!   most rows (addresses, ports, TCP fields). A row is one push of the plain value (a zero
//!   under a null), and a null row also records its row number. At the end of a batch the
//!   value `Vec` becomes the Arrow buffer without a copy, and the validity bitmap is built
//!   only when some row was null: all set, then the few null rows cleared. (The earlier
//!   `Vec<Option<T>>` doubled the bytes pushed per row for narrow types and needed a second
//!   pass per column to split values from validity; that pass was 19% of the scan.)
//! - **Sparse** ([`SparseColumn`], [`SparseStrColumn`]) for columns that are null in most
//!   rows (ICMP, IGMP, ARP, VLAN, TCP options). A row without a value costs nothing at all;
//!   a value is stored with its row number and scattered into a zeroed buffer at the end.
//!
//! Either way the arrays are the ones the earlier code built: zeros under nulls, and no
//! validity bitmap when a column has no null in the batch (`examples/digest.rs` checks
//! this over every capture). The method names mirror arrow's builders so the table code reads
//! the same.

use std::sync::Arc;

use arrow_array::types::{
    ArrowPrimitiveType, Int8Type, TimestampNanosecondType, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use arrow_array::{BooleanArray, PrimitiveArray, StringArray};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder, NullBuffer, OffsetBuffer, ScalarBuffer};

use super::text;

/// Rows are counted in `u32` (a batch holds at most a few hundred thousand rows).
type Row = u32;

/// A validity bitmap with every row set except `null_rows` (ascending); None when no row is
/// null, as Arrow prefers.
fn validity_except(len: usize, null_rows: &[Row]) -> Option<NullBuffer> {
    if null_rows.is_empty() {
        return None;
    }
    let mut bits = BooleanBufferBuilder::new(len);
    bits.append_n(len, true);
    for &r in null_rows {
        bits.set_bit(r as usize, false);
    }
    Some(NullBuffer::new(bits.finish()))
}

/// A validity bitmap with only `valid_rows` set; `len` rows.
fn validity_only(len: usize, valid_rows: &[Row]) -> Option<NullBuffer> {
    if valid_rows.len() == len {
        return None;
    }
    let mut bits = BooleanBufferBuilder::new(len);
    bits.append_n(len, false);
    for &r in valid_rows {
        bits.set_bit(r as usize, true);
    }
    Some(NullBuffer::new(bits.finish()))
}

/// A dense primitive column: one value per row, plus the row numbers of null rows.
#[derive(Debug)]
pub struct Column<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    null_rows: Vec<Row>,
}

impl<T: ArrowPrimitiveType> Default for Column<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: ArrowPrimitiveType> Column<T> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(n: usize) -> Self {
        Column {
            values: Vec::with_capacity(n),
            null_rows: Vec::new(),
        }
    }

    #[inline(always)]
    pub fn append_value(&mut self, v: T::Native) {
        self.values.push(v);
    }

    #[inline(always)]
    pub fn append_null(&mut self) {
        self.null_rows.push(self.values.len() as Row);
        self.values.push(T::Native::default());
    }

    #[inline(always)]
    pub fn append_option(&mut self, v: Option<T::Native>) {
        match v {
            Some(v) => self.append_value(v),
            None => self.append_null(),
        }
    }

    /// The column as an Arrow array (the values move into it without a copy); the
    /// accumulator starts over, empty.
    pub fn finish(&mut self) -> PrimitiveArray<T> {
        let values = std::mem::take(&mut self.values);
        let nulls = validity_except(values.len(), &self.null_rows);
        self.null_rows.clear();
        PrimitiveArray::new(ScalarBuffer::from(values), nulls)
    }
}

pub type I8Column = Column<Int8Type>;
pub type U8Column = Column<UInt8Type>;
pub type U16Column = Column<UInt16Type>;
pub type U32Column = Column<UInt32Type>;
pub type U64Column = Column<UInt64Type>;

/// Nanosecond timestamps in UTC.
#[derive(Debug, Default)]
pub struct TimestampColumn(Column<TimestampNanosecondType>);

impl TimestampColumn {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        TimestampColumn(Column::with_capacity(n))
    }

    #[inline(always)]
    pub fn append_option(&mut self, v: Option<i64>) {
        self.0.append_option(v);
    }

    pub fn finish(&mut self) -> PrimitiveArray<TimestampNanosecondType> {
        self.0.finish().with_timezone("UTC")
    }
}

/// Booleans are bit-packed in Arrow: one byte per row here, packed 64 rows at a time at the end.
#[derive(Debug, Default)]
pub struct BoolColumn {
    values: Vec<bool>,
    null_rows: Vec<Row>,
}

impl BoolColumn {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        BoolColumn {
            values: Vec::with_capacity(n),
            null_rows: Vec::new(),
        }
    }

    #[inline(always)]
    pub fn append_value(&mut self, v: bool) {
        self.values.push(v);
    }

    #[inline(always)]
    pub fn append_null(&mut self) {
        self.null_rows.push(self.values.len() as Row);
        self.values.push(false);
    }

    #[inline(always)]
    pub fn append_option(&mut self, v: Option<bool>) {
        match v {
            Some(v) => self.append_value(v),
            None => self.append_null(),
        }
    }

    pub fn finish(&mut self) -> BooleanArray {
        let v = &self.values;
        let values = BooleanBuffer::collect_bool(v.len(), |i| v[i]);
        let nulls = validity_except(v.len(), &self.null_rows);
        self.values.clear();
        self.null_rows.clear();
        BooleanArray::new(values, nulls)
    }
}

/// A dense UTF-8 column: bytes and end offsets appended per row, no allocation per row.
///
/// Only `&str` (valid UTF-8 by type) and the ASCII writers of [`text`] add bytes, so the
/// finished array skips UTF-8 validation. Why not a fixed-width layout for MACs and addresses:
/// the schema declares these columns `utf8` (docs, Python and SQL read them), and Arrow's
/// variable-width layout costs one offset per row on top of the bytes, which is cheap.
#[derive(Debug)]
pub struct StrColumn {
    /// End offset of every row so far, after a leading 0.
    offsets: Vec<i32>,
    values: Vec<u8>,
    null_rows: Vec<Row>,
}

impl Default for StrColumn {
    fn default() -> Self {
        Self::with_capacity(0, 0)
    }
}

impl StrColumn {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrColumn {
            offsets,
            values: Vec::with_capacity(bytes),
            null_rows: Vec::new(),
        }
    }

    fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline(always)]
    fn end_row(&mut self) {
        // The arrays are built unchecked from these offsets: a wrap must stop the scan (a
        // panic, reported as an error naming the file), never make a corrupt array. The
        // strings here are addresses and names, a few MB per batch, so it never fires.
        let end = i32::try_from(self.values.len()).expect("string column past 2 GiB in one batch");
        self.offsets.push(end);
    }

    pub fn append_value(&mut self, s: &str) {
        self.values.extend_from_slice(s.as_bytes());
        self.end_row();
    }

    pub fn append_option(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.append_value(s),
            None => self.append_null(),
        }
    }

    #[inline(always)]
    pub fn append_null(&mut self) {
        self.null_rows.push(self.rows() as Row);
        self.end_row();
    }

    /// Append the first `n` bytes of `buf`, which a [`text`] writer filled with ASCII. The
    /// whole buffer is copied (a constant size: a few vector stores instead of a `memcpy`
    /// call for a variable length) and the tail dropped again.
    #[inline(always)]
    fn push_prefix<const N: usize>(&mut self, buf: &[u8; N], n: usize) {
        debug_assert!(n <= N && buf[..n].is_ascii());
        let start = self.values.len();
        self.values.extend_from_slice(buf);
        self.values.truncate(start + n);
        self.end_row();
    }

    #[inline]
    pub fn append_mac(&mut self, m: &[u8; 6]) {
        let mut buf = [0u8; text::MAC_BUF];
        text::mac(m, &mut buf);
        self.push_prefix(&buf, text::MAC_LEN);
    }

    #[inline]
    pub fn append_mac_option(&mut self, m: Option<&[u8; 6]>) {
        match m {
            Some(m) => self.append_mac(m),
            None => self.append_null(),
        }
    }

    #[inline]
    pub fn append_ipv4(&mut self, a: &[u8; 4]) {
        let mut buf = [0u8; text::IPV4_BUF];
        let n = text::ipv4(a, &mut buf);
        self.push_prefix(&buf, n);
    }

    #[inline]
    pub fn append_ip(&mut self, a: &std::net::IpAddr) {
        match a {
            // The common case, without the wider buffer.
            std::net::IpAddr::V4(v4) => self.append_ipv4(&v4.octets()),
            std::net::IpAddr::V6(v6) => {
                let mut buf = [0u8; text::IP_BUF];
                let n = text::ipv6(&v6.octets(), &mut buf);
                self.push_prefix(&buf, n);
            }
        }
    }

    pub fn finish(&mut self) -> StringArray {
        let rows = self.rows();
        let nulls = validity_except(rows, &self.null_rows);
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let values = std::mem::take(&mut self.values);
        self.null_rows.clear();
        finish_utf8(offsets, values, nulls)
    }
}

/// Offsets are ascending from 0 by construction (one push of the growing byte length per
/// row), and the bytes came from `&str`s or from the ASCII writers in `text`: both are what
/// `StringArray::new_unchecked` requires, and re-checking them would walk every byte again.
fn finish_utf8(offsets: Vec<i32>, values: Vec<u8>, nulls: Option<NullBuffer>) -> StringArray {
    debug_assert!(std::str::from_utf8(&values).is_ok());
    // SAFETY: see above; the offsets are monotonic, start at 0 and end at `values.len()`.
    unsafe {
        StringArray::new_unchecked(
            OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
            values.into(),
            nulls,
        )
    }
}

/// A primitive column that is null in most rows: only rows with a value are stored.
#[derive(Debug)]
pub struct SparseColumn<T: ArrowPrimitiveType> {
    rows: Vec<Row>,
    values: Vec<T::Native>,
}

impl<T: ArrowPrimitiveType> Default for SparseColumn<T> {
    fn default() -> Self {
        SparseColumn {
            rows: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<T: ArrowPrimitiveType> SparseColumn<T> {
    /// Give row `row` (counting from 0 in the batch) the value `v`; rows must ascend.
    #[inline(always)]
    pub fn set(&mut self, row: usize, v: T::Native) {
        self.rows.push(row as Row);
        self.values.push(v);
    }

    #[inline(always)]
    pub fn set_option(&mut self, row: usize, v: Option<T::Native>) {
        if let Some(v) = v {
            self.set(row, v);
        }
    }

    /// The column as an Arrow array of `len` rows (those never set are null).
    pub fn finish(&mut self, len: usize) -> PrimitiveArray<T> {
        let mut values = vec![T::Native::default(); len];
        for (&r, &v) in self.rows.iter().zip(&self.values) {
            values[r as usize] = v;
        }
        let nulls = validity_only(len, &self.rows);
        self.rows.clear();
        self.values.clear();
        PrimitiveArray::new(ScalarBuffer::from(values), nulls)
    }
}

pub type SparseU8Column = SparseColumn<UInt8Type>;
pub type SparseU16Column = SparseColumn<UInt16Type>;
pub type SparseU32Column = SparseColumn<UInt32Type>;

/// A UTF-8 column that is null in most rows: only rows with text are stored.
#[derive(Debug, Default)]
pub struct SparseStrColumn {
    rows: Vec<Row>,
    text: StrColumn,
}

impl SparseStrColumn {
    #[inline]
    pub fn set_ip(&mut self, row: usize, a: &std::net::IpAddr) {
        self.rows.push(row as Row);
        self.text.append_ip(a);
    }

    #[inline]
    pub fn set_ipv4(&mut self, row: usize, a: &[u8; 4]) {
        self.rows.push(row as Row);
        self.text.append_ipv4(a);
    }

    /// The column as an Arrow array of `len` rows (those never set are null, with no bytes).
    pub fn finish(&mut self, len: usize) -> StringArray {
        let mut offsets = Vec::with_capacity(len + 1);
        offsets.push(0i32);
        let mut end = 0i32;
        let mut next = 0usize;
        for (k, &r) in self.rows.iter().enumerate() {
            // Rows before this one are null: they repeat the previous end.
            offsets.resize(r as usize + 1, end);
            end = self.text.offsets[k + 1];
            offsets.push(end);
            next = r as usize + 1;
        }
        offsets.resize(len + 1, end);
        debug_assert!(next <= len);
        let nulls = validity_only(len, &self.rows);
        let values = std::mem::take(&mut self.text.values);
        self.text = StrColumn::default();
        self.rows.clear();
        finish_utf8(offsets, values, nulls)
    }
}

/// A dictionary column whose values are a fixed list known at compile time: keys are indexes
/// into it, so appending never hashes.
pub struct FixedDictionary {
    pub keys: I8Column,
    values: Arc<StringArray>,
}

impl FixedDictionary {
    pub fn new(values: &[&str], capacity: usize) -> Self {
        FixedDictionary {
            keys: I8Column::with_capacity(capacity),
            values: Arc::new(StringArray::from(values.to_vec())),
        }
    }

    pub fn finish(&mut self) -> arrow_array::ArrayRef {
        let keys = self.keys.finish();
        Arc::new(
            arrow_array::DictionaryArray::<Int8Type>::try_new(keys, self.values.clone())
                .expect("keys index a fixed dictionary"),
        )
    }
}

/// A column accumulator that ends as one Arrow array of a batch's rows, whatever its layout:
/// what [`column_set!`] calls for every column of a table.
pub trait FinishArray {
    /// The column's array of `rows` rows (a sparse column needs the count; a dense one has a
    /// value or a null per row already); the accumulator starts over empty.
    fn finish_array(&mut self, rows: usize) -> arrow_array::ArrayRef;
}

impl<T: ArrowPrimitiveType> FinishArray for Column<T> {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish())
    }
}

impl FinishArray for TimestampColumn {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish())
    }
}

impl FinishArray for BoolColumn {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish())
    }
}

impl FinishArray for StrColumn {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish())
    }
}

impl<T: ArrowPrimitiveType> FinishArray for SparseColumn<T> {
    fn finish_array(&mut self, rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish(rows))
    }
}

impl FinishArray for SparseStrColumn {
    fn finish_array(&mut self, rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish(rows))
    }
}

impl FinishArray for FixedDictionary {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        self.finish()
    }
}

impl FinishArray for arrow_array::builder::ListBuilder<arrow_array::builder::StringBuilder> {
    fn finish_array(&mut self, _rows: usize) -> arrow_array::ArrayRef {
        Arc::new(self.finish())
    }
}

/// [`FinishArray::finish_array`], checked in debug builds: a column that missed a row (an
/// `append` path that forgot it) would shift every row after it.
pub(crate) fn finish_checked(
    column: &mut impl FinishArray,
    rows: usize,
    name: &str,
) -> arrow_array::ArrayRef {
    let array = column.finish_array(rows);
    debug_assert_eq!(
        arrow_array::Array::len(&*array),
        rows,
        "column {name} finished with a row count of its own"
    );
    array
}

/// Declares a table's column accumulators once, in the order of the table's columns in
/// `schema.rs` (names included: a field is named as its column): the struct, the names in
/// order (`NAMES`, which a test compares with the schema) and `finish_arrays`, every column's
/// array in that order. How each value is taken stays with the table's `append`, which fills
/// the fields by name.
macro_rules! column_set {
    ($(#[$meta:meta])* $vis:vis struct $set:ident { $($name:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        $vis struct $set {
            $($name: $ty,)*
        }

        impl $set {
            /// The columns, in the table's order (as `schema.rs` declares them).
            #[allow(dead_code)]
            pub(crate) const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// Every column's array of `rows` rows, in the table's order; the columns start
            /// over empty.
            pub(crate) fn finish_arrays(&mut self, rows: usize) -> Vec<arrow_array::ArrayRef> {
                vec![$($crate::tables::columns::finish_checked(
                    &mut self.$name,
                    rows,
                    stringify!($name),
                )),*]
            }
        }
    };
}
pub(crate) use column_set;

/// An array as the `ArrayRef` a batch takes.
pub(crate) fn arr<A: arrow_array::Array + 'static>(a: A) -> arrow_array::ArrayRef {
    Arc::new(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn dense_and_sparse_build_the_same_arrays() {
        let rows: Vec<Option<u16>> = (0..200u16).map(|i| (i % 7 == 0).then_some(i)).collect();
        let mut dense = U16Column::new();
        let mut sparse = SparseU16Column::default();
        for (i, v) in rows.iter().enumerate() {
            dense.append_option(*v);
            sparse.set_option(i, *v);
        }
        let expected = arrow_array::UInt16Array::from(rows.clone());
        assert_eq!(dense.finish(), expected);
        assert_eq!(sparse.finish(rows.len()), expected);
        // Reused after finish: starts over.
        dense.append_value(1);
        assert_eq!(dense.finish().len(), 1);
        // No nulls: no bitmap.
        let mut s = SparseU16Column::default();
        s.set(0, 5);
        assert!(s.finish(1).nulls().is_none());
    }

    #[test]
    fn strings_dense_and_sparse() {
        let a4: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let a6: std::net::IpAddr = "2001:db8::1".parse().unwrap();
        let mut dense = StrColumn::new();
        let mut sparse = SparseStrColumn::default();
        let mut expected = Vec::new();
        for i in 0..50usize {
            let a = if i % 3 == 0 { a6 } else { a4 };
            if i % 4 == 1 {
                dense.append_null();
                expected.push(None);
            } else {
                dense.append_ip(&a);
                sparse.set_ip(i, &a);
                expected.push(Some(a.to_string()));
            }
        }
        let sparse_expected: Vec<Option<String>> = expected.clone();
        let expected = StringArray::from(expected);
        assert_eq!(dense.finish(), expected);
        assert_eq!(sparse.finish(50), StringArray::from(sparse_expected));
        let mut m = StrColumn::new();
        m.append_mac(&[0, 1, 2, 0xab, 0xcd, 0xef]);
        m.append_value("x");
        assert_eq!(
            m.finish(),
            StringArray::from(vec!["00:01:02:ab:cd:ef", "x"])
        );
        // Only nulls at the end of a sparse column.
        let mut s = SparseStrColumn::default();
        s.set_ipv4(1, &[10, 0, 0, 1]);
        assert_eq!(
            s.finish(4),
            StringArray::from(vec![None, Some("10.0.0.1"), None, None])
        );
    }
}
