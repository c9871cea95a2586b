"""Which AML dialect the interpreter runs: ACPICA's (Linux) or NT's (Windows ``acpi.sys``).

The ACPI specification leaves some behaviour open, and the two interpreters
firmware is tested against answer differently. Linux 6.12 runs ACPICA core
revision 20240827 and our guest model and ``check`` model Linux, so
:attr:`AmlSemantics.ACPICA` is the default everywhere. Windows' ``acpi.sys``
is what most firmware is written against; uACPI (github.com/UltraOS/uACPI,
``source/interpreter.c``) follows it and its test suite
(``tests/test-cases``) expects it. :attr:`AmlSemantics.NT` runs those
answers, one branch per difference, listed in :data:`NT_DIFFERENCES` with the
uACPI source that shows NT's answer and the uACPI test case that needs it.

Everything not listed is the same in both (ACPICA's answer). A difference is
here only when a uACPI case shows it: switched off alone, each branch fails
the cases it lists. uACPI's other NT rules change no case's answer and have
no branch: a Store to a named Integer, String or Buffer copies bytes in uACPI
too (store_to_reference, UACPI_REFERENCE_KIND_NAMED: ``Store ("hello",
STR0)`` leaves ``"he"`` in a two-character STR0, as its test runner shows),
where both semantics here convert as ACPICA's AcpiExStoreObjectToNode does.
One NT rule applies in both: ``LoadTable`` copies its ParameterData's
bytes into the parameter object (:meth:`.interpreter.Interpreter.load_table`,
uACPI cases table-loading-3 and -4), where ACPICA 20240827 converts it
(exconfig.c AcpiExStore) and refuses to load a table already loaded
(AE_ALREADY_EXISTS, so acpiexec fails those cases before the store). The branches
are chosen when a method body is compiled (:mod:`.compiler`,
:mod:`.op_handlers`), and for stores by a flag :class:`.store.Stores` reads
on its slower paths only (a store to a Local that holds a reference or to a
Package element), so ACPICA semantics runs the code it ran before.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AmlSemantics(enum.Enum):
    """The interpreter's dialect where ACPICA 20240827 and NT differ (:data:`NT_DIFFERENCES`)."""

    #: ACPICA 20240827, the core of Linux 6.12 (the default; the guest model and check use it).
    ACPICA = "acpica"
    #: Windows NT ``acpi.sys`` as uACPI reproduces it, where it differs from ACPICA.
    NT = "nt"

    @classmethod
    def parse(cls, text: str) -> AmlSemantics:
        """``"acpica"`` or ``"nt"`` (any case) to the member; a ValueError naming the choices."""
        try:
            return cls(text.lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown AML semantics {text!r} (choose {choices})") from None


@dataclass(frozen=True)
class SemanticDifference:
    """One place where NT's answer is not ACPICA's, and the evidence for NT's."""

    #: Short identifier (tests and documentation refer to it).
    key: str
    #: What ACPICA 20240827 does (with its source file).
    acpica: str
    #: What NT does under :attr:`AmlSemantics.NT`.
    nt: str
    #: Where uACPI implements NT's answer (``source/interpreter.c`` unless said otherwise).
    uacpi_source: str
    #: uACPI test cases (``tests/test-cases/*.asl``) that fail without this branch.
    uacpi_cases: tuple[str, ...]


#: Every NT branch of the interpreter, in the order a reader meets them.
NT_DIFFERENCES: tuple[SemanticDifference, ...] = (
    SemanticDifference(
        key="store-through-local",
        acpica="Store to a LocalX holding a reference overwrites the Local "
               "(dsmthdat.c AcpiDsStoreObjectToLocal: only an ArgX stores through a RefOf)",
        nt="the value is stored through the reference with NT's 'implicit cast': its bytes "
           "are copied into the referenced Integer, String or Buffer, which keeps its type and "
           "size (a field or buffer field is written)",
        uacpi_source="store_to_reference (UACPI_REFERENCE_KIND_LOCAL) and "
                     "object_assign_with_implicit_cast ('we just copy one buffer to another "
                     "because that's what NT does')",
        uacpi_cases=("indices-0.asl", "ref_modify_indirect.asl",
                     "ref_modify_via_method_call.asl", "references-3.asl", "references-5.asl",
                     "references-9.asl", "table-loading-2.asl", "table-loading-3.asl"),
    ),
    SemanticDifference(
        key="store-through-package-element",
        acpica="Store to Index (Package, i) replaces the element, a reference it held included "
               "(exstore.c AcpiExStoreObjectToIndex)",
        nt="when the element holds a reference, the value is stored through it with the "
           "implicit cast, as for a LocalX",
        uacpi_source="store_to_reference (UACPI_REFERENCE_KIND_PKG_INDEX)",
        uacpi_cases=("indices-2.asl",),
    ),
    SemanticDifference(
        key="increment-through-reference",
        acpica="Increment/Decrement of a LocalX or ArgX holding a reference is "
               "AE_AML_OPERAND_TYPE (the reference is the operand)",
        nt="the referenced object is incremented or decremented",
        uacpi_source="handle_inc_dec: the operand is reference_unwind's object, written back "
                     "through the reference",
        uacpi_cases=("increment-fields.asl", "multilevel_ref.asl",
                     "ref_modify_via_method_call.asl", "references-10.asl"),
    ),
    SemanticDifference(
        key="to-integer-string",
        acpica="ToInteger of a String: decimal unless '0x' (utstrtoul64.c AcpiUtStrtoul64): "
               "'0123' is 123, a sign stops the number (0), digits past 64 bits stop it",
        nt="uacpi_string_to_integer with UACPI_BASE_AUTO: leading spaces, an optional sign "
           "('-' negates), '0x' hex, a leading '0' octal, else decimal; an overflow is Ones",
        uacpi_source="handle_to (UACPI_AML_OP_ToIntegerOp: object_to_integer) and "
                     "source/utilities.c uacpi_string_to_integer",
        uacpi_cases=("to-integer.asl",),
    ),
    SemanticDifference(
        key="concatenate-integer-text",
        acpica="Concatenate (String, Integer) converts the Integer to every hex digit of the "
               "integer width, upper case (exconvrt.c ACPI_IMPLICIT_CONVERT_HEX: "
               "'0000000000000123')",
        nt="lower-case hex without leading zeros ('123', 'deadbeef'); Printf and Fprintf, "
           "which iasl compiles to Concatenate, print Integers so",
        uacpi_source="handle_concatenate (UACPI_OBJECT_STRING with an Integer: "
                     "snprintf \"%\"UACPI_PRIx64)",
        uacpi_cases=("indices-1.asl",),
    ),
    SemanticDifference(
        key="empty-return-value",
        acpica="using the result of a method that returns nothing aborts the caller with "
               "AE_AML_NO_RETURN_VALUE (Linux leaves interpreter slack off), and reading a "
               "LocalX never stored is AE_AML_UNINITIALIZED_LOCAL",
        nt="the result is an empty (Uninitialized) object, which can be stored, read from a "
           "LocalX and stored to Debug; only an operator needing data refuses it",
        uacpi_source="uacpi_execute_control_method ('ctx->ret = "
                     "uacpi_create_object(UACPI_OBJECT_UNINITIALIZED)'): a call's result "
                     "starts Uninitialized and stays so without a Return",
        uacpi_cases=("empty-objects.asl",),
    ),
)

#: The differences by key.
NT_DIFFERENCE_BY_KEY = {d.key: d for d in NT_DIFFERENCES}
