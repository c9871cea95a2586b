"""Field unit and buffer field I/O (ACPI 6.5 sections 19.6.48 Field, 19.6.64 IndexField,
19.6.7 BankField, 19.6.15 CreateField), made access for access as ACPICA makes it.

Ported from ACPICA ``exfldio.c`` (``AcpiExExtractFromField``,
``AcpiExInsertIntoField``, ``AcpiExWriteWithUpdateRule``,
``AcpiExFieldDatumIo``) and ``exprep.c`` (``AcpiExDecodeFieldAccess``):

* the access width is the field's AccessType; ``AnyAcc`` and ``BufferAcc``
  access bytes (ACPICA compiles out its "optimal width" search);
* a field is read or written one access-width datum at a time, starting at
  the datum that holds its first bit;
* a partial datum write reads the datum first only for ``Preserve``;
  ``WriteAsOnes``/``WriteAsZeros`` fill the other bits without a read;
* a BankField writes its bank value to the bank register before every datum;
  an IndexField writes the datum's byte offset to the index register before
  every datum access to the data register.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.objects import AmlString, BufferField, FieldUnit, OperationRegion
from vcpu_hotplug.acpi.aml.regions import RegionSpace
from vcpu_hotplug.acpi.errors import AmlError

#: AccessType values (FieldFlags bits 0-3) and their access width in bytes.
ACCESS_ANY, ACCESS_BYTE, ACCESS_WORD, ACCESS_DWORD, ACCESS_QWORD, ACCESS_BUFFER = range(6)
ACCESS_BYTES = {ACCESS_ANY: 1, ACCESS_BYTE: 1, ACCESS_WORD: 2, ACCESS_DWORD: 4, ACCESS_QWORD: 8,
                ACCESS_BUFFER: 1}

#: UpdateRule values (FieldFlags bits 5-6).
UPDATE_PRESERVE, UPDATE_WRITE_AS_ONES, UPDATE_WRITE_AS_ZEROS = range(3)


def access_bytes_for(access_type: int) -> int:
    try:
        return ACCESS_BYTES[access_type]
    except KeyError:
        raise AmlError(f"unknown field access type {access_type:#x}") from None


class FieldIO:
    """Reads and writes field units through a region handler.

    ``handler_for(region)`` returns the handler for a region and its address
    space; ``data_tables`` backs DataTableRegions.
    """

    def __init__(self, handler_for) -> None:
        self.handler_for = handler_for

    # -- one datum ------------------------------------------------------------------------

    def _region_datum(self, fu: FieldUnit, offset: int, value: int | None) -> int:
        region: OperationRegion = fu.region
        if region.deleted:
            raise AmlError("field of an OperationRegion that no longer exists (its method returned)")
        rel = fu.base_byte_offset + offset
        width = fu.access_bytes
        if region.length < rel + width:
            raise AmlError(
                f"field access at {rel:#x}+{width} is beyond the end of region "
                f"{region.node.path if region.node is not None else '?'} (length {region.length:#x})")
        handler, space = self.handler_for(region)
        address = region.offset + rel
        wmask = (1 << (8 * width)) - 1
        if value is None:
            return handler.read(space, address, width) & wmask
        handler.write(space, address, width, value & wmask)
        return 0

    def _datum(self, fu: FieldUnit, offset: int, value: int | None = None) -> int:
        """One datum read (``value`` None) or written (``AcpiExFieldDatumIo``).

        An IndexField's datum is the whole data register field, read into and
        written from 64 bits (ACPICA passes ``sizeof (UINT64)``), so its bits
        above the IndexField's access width take part as they do in ACPICA.
        """
        if fu.index is not None:
            index = fu.base_byte_offset + offset
            if fu.index.bit_length < 64 and index >> fu.index.bit_length:
                raise AmlError(f"AE_AML_REGISTER_LIMIT: index {index:#x} does not fit the "
                               f"{fu.index.bit_length}-bit index register")
            self.insert(fu.index, index, 4)
            if value is None:
                return self.extract(fu.data, 8)
            self.insert(fu.data, value, 8)
            return 0
        if fu.bank is not None:
            self.insert(fu.bank, fu.bank_value, 4)
        return self._region_datum(fu, offset, value)

    # -- whole field ----------------------------------------------------------------------

    def extract(self, fu: FieldUnit, buffer_length: int) -> int:
        """The field read into a ``buffer_length``-byte buffer, as a little-endian integer
        (``AcpiExExtractFromField``, datum by datum with its 64-bit arithmetic)."""
        bit_length = fu.bit_length
        if buffer_length < (bit_length + 7) // 8:
            raise AmlError(f"field of {bit_length} bits is too large for a {buffer_length}-byte buffer")
        width = min(fu.access_bytes, 8)
        wbits = 8 * width
        start = fu.start_bit
        datum = self._datum
        if start == 0 and bit_length == wbits:
            return datum(fu, 0) & ((1 << (8 * min(buffer_length, 8))) - 1)
        datum_count = -(-bit_length // wbits)
        field_datum_count = -(-(bit_length + start) // wbits)
        raw = datum(fu, 0)
        merged = raw >> start
        out = 0
        out_offset = 0
        field_offset = 0
        for i in range(1, field_datum_count):
            field_offset += width
            raw = datum(fu, field_offset)
            if wbits - start < 64:
                merged = (merged | (raw << (wbits - start))) & _U64
            if i == datum_count:
                break
            n = min(width, buffer_length - out_offset)
            out |= (merged & ((1 << (8 * n)) - 1)) << (8 * out_offset)
            out_offset += width
            merged = raw >> start
        tail = bit_length % wbits
        if tail:
            merged &= (1 << tail) - 1
        n = min(width, buffer_length - out_offset)
        if n > 0:
            out |= (merged & ((1 << (8 * n)) - 1)) << (8 * out_offset)
        return out

    def insert(self, fu: FieldUnit, value: int, buffer_length: int) -> None:
        """Write a ``buffer_length``-byte buffer (``value``, little endian) into the field
        (``AcpiExInsertIntoField``; a shorter buffer is zero-extended to the field)."""
        bit_length = fu.bit_length
        buffer_length = max(buffer_length, (bit_length + 7) // 8)
        width = min(fu.access_bytes, 8)
        wbits = 8 * width
        start = fu.start_bit
        width_mask = (1 << wbits) - 1
        mask = width_mask & ~((1 << start) - 1)
        datum_count = -(-bit_length // wbits)
        field_datum_count = -(-(bit_length + start) // wbits)

        def next_raw(raw: int, offset: int) -> int:
            # memcpy of min(width, rest) bytes over the previous datum's low bytes
            n = min(width, buffer_length - offset)
            low = (1 << (8 * n)) - 1 if n > 0 else 0
            return (raw & ~low) | ((value >> (8 * offset)) & low)

        raw = next_raw(0, 0)
        merged = (raw << start) & _U64
        field_offset = 0
        buffer_offset = 0
        for i in range(1, field_datum_count):
            merged &= mask
            self._write_with_update_rule(fu, mask, merged, field_offset)
            field_offset += width
            merged = raw >> (wbits - start) if wbits - start < 64 else 0
            mask = width_mask
            if i == datum_count:
                break
            buffer_offset += width
            raw = next_raw(raw, buffer_offset)
            merged = (merged | (raw << start)) & _U64
        tail = (bit_length + start) % wbits
        if tail:
            mask &= (1 << tail) - 1
        self._write_with_update_rule(fu, mask, merged & mask, field_offset)

    def _write_with_update_rule(self, fu: FieldUnit, mask: int, value: int, offset: int) -> None:
        """``AcpiExWriteWithUpdateRule``: the bits outside ``mask`` by the field's rule (a
        full datum narrower than 64 bits gets the rule too; Preserve then reads nothing)."""
        merged = value
        if mask != _U64:
            rule = fu.update_rule
            outside = ~mask & _U64
            if rule == UPDATE_PRESERVE:
                if (outside << (64 - 8 * min(fu.access_bytes, 8))) & _U64:
                    merged |= self._datum(fu, offset) & outside
            elif rule == UPDATE_WRITE_AS_ONES:
                merged |= outside
            elif rule == UPDATE_WRITE_AS_ZEROS:
                merged &= mask
            else:
                raise AmlError(f"unknown field update rule {rule}")
        self._datum(fu, offset, merged)

    def read(self, fu: FieldUnit, int_bytes: int):
        """Field value as the interpreter sees it: Integer if it fits, else Buffer
        (``AcpiExReadDataFromField``: an Integer is read into its 8 bytes)."""
        nbytes = (fu.bit_length + 7) // 8
        if nbytes > int_bytes:
            return bytearray(self.extract(fu, nbytes).to_bytes(nbytes, "little"))
        return self.extract(fu, 8) & ((1 << (8 * int_bytes)) - 1)

    def write(self, fu: FieldUnit, value, int_bytes: int) -> None:
        """``AcpiExWriteDataToField``: an Integer is its 8 bytes, a Buffer or String its bytes."""
        t = type(value)
        if t is int or t is bool:
            self.insert(fu, int(value) & ((1 << (8 * int_bytes)) - 1), 8)
            return
        if t is bytearray or t is bytes or t is AmlString:
            self.insert(fu, int.from_bytes(bytes(value), "little"), len(value))
            return
        raise AmlError(f"cannot write a {type(value).__name__} object to a field")


_U64 = (1 << 64) - 1


def _as_bits(value, int_bytes: int) -> int:
    """A source object as the little-endian bit string ACPICA writes (``AcpiExWriteDataToField``)."""
    t = type(value)
    if t is int or t is bool:
        return int(value) & ((1 << (8 * int_bytes)) - 1)
    if t is bytearray or t is bytes or t is AmlString:
        return int.from_bytes(bytes(value), "little")
    raise AmlError(f"cannot write a {type(value).__name__} object to a field")


def read_buffer_field(bf: BufferField, int_bytes: int, is_create_field: bool):
    buf = bf.buffer
    end = bf.bit_offset + bf.bit_length
    if (end + 7) // 8 > len(buf):
        raise AmlError(f"buffer field (bits {bf.bit_offset}..{end}) beyond the end of its "
                       f"{len(buf)}-byte buffer")
    first = bf.bit_offset // 8
    last = (end + 7) // 8
    raw = int.from_bytes(buf[first:last], "little")
    value = (raw >> (bf.bit_offset - 8 * first)) & ((1 << bf.bit_length) - 1)
    nbytes = (bf.bit_length + 7) // 8
    if is_create_field or nbytes > int_bytes:
        return bytearray(value.to_bytes(nbytes, "little"))
    return value


def write_buffer_field(bf: BufferField, value, int_bytes: int) -> None:
    buf = bf.buffer
    end = bf.bit_offset + bf.bit_length
    if (end + 7) // 8 > len(buf):
        raise AmlError(f"buffer field (bits {bf.bit_offset}..{end}) beyond the end of its "
                       f"{len(buf)}-byte buffer")
    bits = _as_bits(value, int_bytes) & ((1 << bf.bit_length) - 1)
    first = bf.bit_offset // 8
    last = (end + 7) // 8
    shift = bf.bit_offset - 8 * first
    raw = int.from_bytes(buf[first:last], "little")
    mask = ((1 << bf.bit_length) - 1) << shift
    raw = (raw & ~mask) | (bits << shift)
    buf[first:last] = raw.to_bytes(last - first, "little")


__all__ = ["FieldIO", "RegionSpace", "access_bytes_for", "read_buffer_field", "write_buffer_field"]
