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
        if region.length < rel + fu.access_bytes:
            raise AmlError(
                f"field access at {rel:#x}+{fu.access_bytes} is beyond the end of region "
                f"{region.node.path if region.node is not None else '?'} (length {region.length:#x})")
        handler, space = self.handler_for(region)
        address = region.offset + rel
        if value is None:
            return handler.read(space, address, fu.access_bytes) & ((1 << (8 * fu.access_bytes)) - 1)
        handler.write(space, address, fu.access_bytes, value)
        return 0

    def _datum(self, fu: FieldUnit, offset: int, value: int | None = None) -> int:
        if fu.index is not None:
            self.insert(fu.index, fu.base_byte_offset + offset)
            if value is None:
                return self.extract(fu.data)
            self.insert(fu.data, value)
            return 0
        if fu.bank is not None:
            self.insert(fu.bank, fu.bank_value)
        return self._region_datum(fu, offset, value)

    # -- whole field ----------------------------------------------------------------------

    def extract(self, fu: FieldUnit) -> int:
        """The field's bits as an unsigned integer (``AcpiExExtractFromField``)."""
        width = fu.access_bytes
        wbits = 8 * width
        count = -(-(fu.start_bit + fu.bit_length) // wbits)
        raw = 0
        for i in range(count):
            raw |= self._datum(fu, i * width) << (i * wbits)
        return (raw >> fu.start_bit) & ((1 << fu.bit_length) - 1)

    def insert(self, fu: FieldUnit, value: int) -> None:
        """Write ``value`` into the field (``AcpiExInsertIntoField``)."""
        width = fu.access_bytes
        wbits = 8 * width
        wmask = (1 << wbits) - 1
        flen = (1 << fu.bit_length) - 1
        count = -(-(fu.start_bit + fu.bit_length) // wbits)
        merged = (value & flen) << fu.start_bit
        fmask = flen << fu.start_bit
        rule = fu.update_rule
        for i in range(count):
            shift = i * wbits
            mask = (fmask >> shift) & wmask
            datum = (merged >> shift) & wmask
            if mask != wmask:
                if rule == UPDATE_PRESERVE:
                    datum |= self._datum(fu, i * width) & ~mask & wmask
                elif rule == UPDATE_WRITE_AS_ONES:
                    datum |= ~mask & wmask
                elif rule == UPDATE_WRITE_AS_ZEROS:
                    datum &= mask
                else:
                    raise AmlError(f"unknown field update rule {rule}")
            self._datum(fu, i * width, datum)

    def read(self, fu: FieldUnit, int_bytes: int):
        """Field value as the interpreter sees it: Integer if it fits, else Buffer."""
        nbytes = (fu.bit_length + 7) // 8
        value = self.extract(fu)
        if nbytes > int_bytes:
            return bytearray(value.to_bytes(nbytes, "little"))
        return value

    def write(self, fu: FieldUnit, value, int_bytes: int) -> None:
        self.insert(fu, _as_bits(value, int_bytes))


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
