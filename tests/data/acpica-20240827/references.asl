DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{
Name (RI00, 5)
    Name (RP00, Package () {7, 8})
    Name (RB00, Buffer () {9, 10})
    Method (RM01, 1) { Return (Arg0 + 1) }
    Method (RM02, 1) { Local0 = Arg0
Return (Local0 + 1) }
    Method (RM03, 1) { Arg0 = 3 }
    Method (RM04, 1) { Local0 = Arg0
Local0 = 4 }

Method (T000, 0, Serialized)
{
Local0 = RefOf (RI00); Return (Local0 + 1)
}
Method (T001, 0, Serialized)
{
Local0 = RP00 [0]; Return (Local0 + 1)
}
Method (T002, 0, Serialized)
{
Local0 = RB00 [1]; Return (Local0 + 1)
}
Method (T003, 0, Serialized)
{
Return (RP00 [1] + 1)
}
Method (T004, 0, Serialized)
{
Return (RB00 [1] + 1)
}
Method (T005, 0, Serialized)
{
Return (RefOf (RI00) + 1)
}
Method (T006, 0, Serialized)
{
Return (RM01 (RefOf (RI00)))
}
Method (T007, 0, Serialized)
{
Return (RM02 (RefOf (RI00)))
}
Method (T008, 0, Serialized)
{
Return (RM01 (RP00 [1]))
}
Method (T009, 0, Serialized)
{
Local0 = RefOf (RI00); Return (ToInteger (Local0))
}
Method (T00A, 0, Serialized)
{
Local0 = RefOf (RI00); Return (Local0 == 5)
}
Method (T00B, 0, Serialized)
{
Local0 = RefOf (RI00); If (Local0) { Return (1) }
Return (2)
}
Method (T00C, 0, Serialized)
{
Local0 = RP00 [0]; Return (Local0 == 7)
}
Method (T00D, 0, Serialized)
{
Local0 = RefOf (RI00); Return (SizeOf (Local0))
}
Method (T00E, 0, Serialized)
{
Local0 = RefOf (RI00); Return (Concatenate ("x", Local0))
}
Method (T00F, 0, Serialized)
{
Local0 = RefOf (RI00); Return (DerefOf (Local0) + 1)
}
Method (T010, 0, Serialized)
{
Local0 = RefOf (RI00); Local0 = 9; Return (RI00)
}
Method (T011, 0, Serialized)
{
RM03 (RefOf (RI00)); Return (RI00)
}
Name (RI01, 6)
Method (T012, 0, Serialized)
{
RM04 (RefOf (RI01)); Return (RI01)
}
Method (T013, 0, Serialized)
{
Local0 = Package () {RI00, RP00}; Return (Local0)
}
Method (T014, 0, Serialized)
{
Local0 = Package () {\_SB}; Return (ObjectType (DerefOf (Local0 [0])))
}
Method (T015, 0, Serialized)
{
Local0 = RP00 [0]; DerefOf (Local0) = 1; Return (RP00)
}
Method (T016, 0, Serialized)
{
RP00 [1] = 0x55; Return (RP00)
}
Name (RI02, 1)
Name (RP01, Package (1) {})
Method (T017, 0, Serialized)
{
RP01 [0] = RefOf (RI02)
RP01 [0] = 0x22
Return (RI02 + (ObjectType (RP01 [0]) << 8))
}
Name (RI03, 1)
Name (RN00, 0)
Method (T018, 0, Serialized)
{
CopyObject (RefOf (RI03), RN00)
RN00 = 0x33
Return (RI03 + (ObjectType (RN00) << 8))
}
Name (RI04, 1)
Method (T019, 0, Serialized)
{
Local0 = RefOf (RI04)
CopyObject (0x44, Local0)
Return (RI04)
}
Name (RP02, Package () {1, 2})
Method (RM05, 1) { Arg0 = 0x66 }
Method (T01A, 0, Serialized)
{
RM05 (RP02 [1])
Return (RP02)
}
Name (RI05, 1)
Method (RM06, 1) { Arg0++ }
Method (T01B, 0, Serialized)
{
RM06 (RefOf (RI05))
Return (RI05)
}
Name (RI06, 1)
Method (T01C, 0, Serialized)
{
Local0 = RefOf (RI06)
Local0++
Return (RI06)
}
Name (RF01, Package () {RF00, \_SB, RF02})
Name (RF00, 0x77)
Method (RF02) { Return (1) }
Method (T01D, 0, Serialized)
{
Return (RF01)
}
Name (RF03, 0x78)
Name (RF04, Package () {RF03})
Method (T01E, 0, Serialized)
{
RF03 = 0x79
Return (DerefOf (RF04 [0]))
}
Name (RF05, 0x7A)
Method (T01F, 0, Serialized)
{
Local0 = Package () {RF05}
RF05 = 0x7B
Return (DerefOf (Local0 [0]))
}
Name (RF06, "s")
Method (T020, 0, Serialized)
{
Local0 = Package () {RF06}
Return (ObjectType (Local0 [0]))
}
}
