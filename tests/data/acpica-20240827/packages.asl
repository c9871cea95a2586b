DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{
Name (PU00, Package (4) {1, "a"})
Method (MU00, 1) { Return (Arg0) }

Method (T000, 0, Serialized)
{
Return (PU00)
}
Method (T001, 0, Serialized)
{
Local0 = Package (3) {}
Return (Local0)
}
Method (T002, 0, Serialized)
{
Return (DerefOf (PU00 [2]))
}
Method (T003, 0, Serialized)
{
Return (DerefOf (PU00 [1]))
}
Method (T004, 0, Serialized)
{
Local0 = PU00 [3]
Return (DerefOf (Local0))
}
Method (T005, 0, Serialized)
{
Local0 = PU00 [3]
Return (Local0 + 1)
}
Method (T006, 0, Serialized)
{
Local0 = DerefOf (PU00 [2])
Return (1)
}
Method (T007, 0, Serialized)
{
Return (ObjectType (PU00 [2]))
}
Method (T008, 0, Serialized)
{
Local0 = PU00 [2]
Return (ObjectType (Local0))
}
Method (T009, 0, Serialized)
{
Return (SizeOf (PU00))
}
Method (T00A, 0, Serialized)
{
Return (Match (PU00, MEQ, 1, MTR, 0, 0))
}
Method (T00B, 0, Serialized)
{
Return (Match (PU00, MTR, 0, MTR, 0, 2))
}
Method (T00C, 0, Serialized)
{
Return (Concatenate (DerefOf (PU00 [2]), "x"))
}
Method (T00D, 0, Serialized)
{
Return (ToInteger (DerefOf (PU00 [3])))
}
Method (T00E, 0, Serialized)
{
Return (DerefOf (PU00 [3]) == 0)
}
Method (T00F, 0, Serialized)
{
Return (MU00 (DerefOf (PU00 [2])))
}
Method (T010, 0, Serialized)
{
Local0 = MU00 (PU00 [2])
Return (ObjectType (Local0))
}
Method (T011, 0, Serialized)
{
CopyObject (DerefOf (PU00 [2]), Local0)
Return (1)
}
Name (PU01, Package (3) {})
Method (T012, 0, Serialized)
{
PU01 [2] = 5
Return (DerefOf (PU01 [2]))
}
Name (PU02, Package (3) {})
Method (T013, 0, Serialized)
{
PU02 [1] = "s"
Return (PU02)
}
Method (T014, 0, Serialized)
{
Local1 = 3
Local0 = Package (Local1) {}
Return (DerefOf (Local0 [0]))
}
Method (T015, 0, Serialized)
{
Local1 = 5
Local0 = Package (Local1) {1}
Return (SizeOf (Local0))
}
Method (T016, 0, Serialized)
{
Local0 = Package () {Package (2) {1}}
Return (DerefOf (DerefOf (Local0 [0]) [1]))
}
Method (T017, 0, Serialized)
{
Return (DerefOf (PU00 [4]))
}
Method (T018, 0, Serialized)
{
Local0 = PU00 [7]
Return (1)
}
Method (T019, 0, Serialized)
{
Return (SizeOf (DerefOf (PU00 [2])))
}
Method (T01A, 0, Serialized)
{
Local0 = PU00
Return (Local0)
}
Method (T01B, 0, Serialized)
{
If (DerefOf (PU00 [2])) { Return (1) }
Return (2)
}
}
