DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{
Name (EP00, Package () {1, "s", Buffer () {2}, Package () {3}})
    Name (ES00, "abc")
    Name (EB00, Buffer () {1, 2, 3})
    Mutex (EM00, 5)
    Mutex (EM01, 2)
    Event (EE00)
    Device (ED00) { Name (_ADR, 0) }
    Method (EA02, 2) { Return (Arg0 + Arg1) }

Method (T000, 0, Serialized)
{
Local0 = 0; Return (10 % Local0)
}
Method (T001, 0, Serialized)
{
Local0 = 0; Divide (10, Local0, Local1); Return (Local1)
}
Method (T002, 0, Serialized)
{
Local0 = 1; Local1 = 64; Return (Local0 << Local1)
}
Method (T003, 0, Serialized)
{
Local0 = Ones; Local1 = 63; Return (Local0 >> Local1)
}
Method (T004, 0, Serialized)
{
Local0 = 0x1A; Return (FromBCD (Local0))
}
Method (T005, 0, Serialized)
{
Local0 = 99999999999999999; Return (ToBCD (Local0))
}
Method (T006, 0, Serialized)
{
Local0 = Ones; Return (ToBCD (Local0))
}
Method (T007, 0, Serialized)
{
Local0 = Ones; Return (FindSetLeftBit (Local0))
}
Method (T008, 0, Serialized)
{
Local0 = "12"; Local0++; Return (Local0)
}
Method (T009, 0, Serialized)
{
Local0 = Buffer () {1, 1}; Local0--; Return (Local0)
}
Method (T00A, 0, Serialized)
{
Local0 = "0"; Return (!Local0)
}
Method (T00B, 0, Serialized)
{
Local0 = Buffer () {0, 0}; Return (LAnd (Local0, 1))
}
Method (T00C, 0, Serialized)
{
Local0 = "a"; Return (Local0 == Buffer () {0x61, 0})
}
Method (T00D, 0, Serialized)
{
Local0 = Buffer () {1, 2}; Return (Local0 < Buffer () {1, 2, 0})
}
Method (T00E, 0, Serialized)
{
Local0 = "a"; Return (Local0 > "B")
}
Method (T00F, 0, Serialized)
{
Local0 = 0x10; Return (Local0 == "10zz")
}
Method (T010, 0, Serialized)
{
Local0 = 5; Return (SizeOf (Local0))
}
Method (T011, 0, Serialized)
{
Return (SizeOf (ED00))
}
Method (T012, 0, Serialized)
{
Local0 = ""; Return (SizeOf (Local0))
}
Method (T013, 0, Serialized)
{
Local0 = ObjectType (EP00) | (ObjectType (ES00) << 4) | (ObjectType (EB00) << 8)
Local0 |= (ObjectType (ED00) << 12) | (ObjectType (EA02) << 16) | (ObjectType (EM00) << 20)
Local0 |= (ObjectType (\_SB) << 24) | (ObjectType (EE00) << 28)
Return (Local0)
}
Method (T014, 0, Serialized)
{
Return (ObjectType (ES00 [1]))
}
Method (T015, 0, Serialized)
{
Return (ObjectType (EB00 [1]))
}
Method (T016, 0, Serialized)
{
Return (ObjectType (EP00 [3]))
}
Method (T017, 0, Serialized)
{
Local0 = RefOf (EB00); Return (ObjectType (Local0))
}
Method (T018, 0, Serialized)
{
Return (DerefOf (ES00 [3]))
}
Method (T019, 0, Serialized)
{
Return (DerefOf (EB00 [3]))
}
Name (EB01, Buffer () {1})
Method (T01A, 0, Serialized)
{
EB01 [1] = 5; Return (EB01)
}
Method (T01B, 0, Serialized)
{
Local0 = 5; Return (DerefOf (Local0 [0]))
}
Method (T01C, 0, Serialized)
{
Index (EP00, 2, Local0); Return (DerefOf (Local0))
}
Name (ES01, "xyz")
Method (T01D, 0, Serialized)
{
ES01 [0] = 0x141; Return (ES01)
}
Name (EB02, Buffer () {1, 2})
Method (T01E, 0, Serialized)
{
EB02 [0] = "9"; Return (EB02)
}
Name (EP01, Package () {1, 2})
Method (T01F, 0, Serialized)
{
EP01 [0] = Buffer () {7}; Return (EP01)
}
Method (T020, 0, Serialized)
{
Local0 = "ES00"; Return (DerefOf (Local0))
}
Method (T021, 0, Serialized)
{
Local0 = "NOPE"; Return (DerefOf (Local0))
}
Method (T022, 0, Serialized)
{
Local0 = 5; Return (DerefOf (Local0))
}
Method (T023, 0, Serialized)
{
Local0 = 5; Local1 = RefOf (Local0); Local1 = 7; Return (Local0)
}
Name (EI00, 1)
Method (T024, 0, Serialized)
{
Local1 = RefOf (EI00); DerefOf (Local1) = 9; Return (EI00)
}
Method (T025, 0, Serialized)
{
Local0 = CondRefOf (ES00, Local1); Return (SizeOf (Local1) + Local0)
}
Method (T026, 0, Serialized)
{
Return (Mid (ES00, 10, 2))
}
Method (T027, 0, Serialized)
{
Return (Mid (EB00, 1, 0x100))
}
Method (T028, 0, Serialized)
{
Local0 = 0x41424344; Return (Mid (Local0, 1, 2))
}
Method (T029, 0, Serialized)
{
Return (Match (EP00, MEQ, 3, MTR, 0, 0))
}
Method (T02A, 0, Serialized)
{
Return (Match (EP00, MEQ, "1", MTR, 0, 0))
}
Method (T02B, 0, Serialized)
{
Return (Match (EP00, MTR, 0, MTR, 0, 4))
}
Method (T02C, 0, Serialized)
{
Acquire (EM00, 0xFFFF)
Local0 = Acquire (EM01, 0xFFFF)
Release (EM01)
Release (EM00)
Return (Local0)
}
Method (T02D, 0, Serialized)
{
Release (EM01)
Return (1)
}
Method (T02E, 0, Serialized)
{
Acquire (EM01, 0xFFFF)
Acquire (EM00, 0xFFFF)
Release (EM01)
Release (EM00)
Return (1)
}
Method (T02F, 0, Serialized)
{
Return (Wait (EE00, 0))
}
Method (T030, 0, Serialized)
{
Sleep (1)
Stall (10)
Return (1)
}
Method (T031, 0, Serialized)
{
Return (EA02 (1, 2))
}
Name (EB03, Buffer (4) {})
Method (T032, 0, Serialized)
{
CreateField (EB03, 0, 0, EF00)
Return (1)
}
Name (EB04, Buffer (2) {})
Method (T033, 0, Serialized)
{
CreateDWordField (EB04, 0, EF01)
Return (EF01)
}
Method (T034, 0, Serialized)
{
Local0 = 1; Return (Buffer (Local0) {1, 2, 3})
}
Method (T035, 0, Serialized)
{
Local0 = 0; Local1 = Buffer (Local0) {}; Return (SizeOf (Local1))
}
Method (T036, 0, Serialized)
{
Local0 = 1; Local1 = Package (Local0) {1, 2, 3}; Return (SizeOf (Local1))
}
Method (T037, 0, Serialized)
{
Local0 = Buffer () {0x79, 0}; Return (ConcatenateResTemplate (Local0, Local0))
}
Method (T038, 0, Serialized)
{
Local0 = Buffer () {1, 2}; Return (ConcatenateResTemplate (Local0, Local0))
}
Method (T039, 0, Serialized)
{
Local0 = Package () {1}; Return (ToString (Local0, Ones))
}
Method (T03A, 0, Serialized)
{
Return (ToDecimalString (Buffer () {0, 0}))
}
Method (T03B, 0, Serialized)
{
Local0 = "xyz"; Return (ToHexString (Local0))
}
Method (T03C, 0, Serialized)
{
Local0 = Package () {1}; Return (ToBuffer (Local0))
}
Method (T03D, 0, Serialized)
{
Local0 = Package () {1}; Return (ToInteger (Local0))
}
Name (EB06, Buffer (2) {})
Method (T03E, 0, Serialized)
{
CreateField (EB06, 0, 12, EF03)
EF03 = Ones
Return (EB06)
}
Name (EB07, Buffer (4) {})
Method (T03F, 0, Serialized)
{
CreateDWordField (EB07, 0, EF04)
EF04 = "ABCDEFG"
Return (EB07)
}
Name (EB08, Buffer (4) {})
Method (T040, 0, Serialized)
{
CreateDWordField (EB08, 0, EF05)
CopyObject (0x11223344, EF05)
Return (EB08)
}
Name (EI02, 3)
Method (EW00, 1) { Arg0 = 4
Return (Arg0) }
Method (T041, 0, Serialized)
{
Local0 = EW00 (RefOf (EI02)); Return (EI02 + (Local0 << 4))
}
Name (EI03, 3)
Method (EW01, 1) { DerefOf (Arg0) = 8 }
Method (T042, 0, Serialized)
{
EW01 (RefOf (EI03)); Return (EI03)
}
Name (EI04, 1)
Method (T043, 0, Serialized)
{
Local0 = RefOf (EI04)
Local1 = RefOf (Local0)
Return (ObjectType (Local1))
}
Method (T044, 0, Serialized)
{
Local0 = 0; Local1 = 0
While (Local0 < 3) { Local0++
While (One) { Local1++
Break }
If (Local0 == 2) { Break } }
Return (Local1)
}
Method (EW02, 1, Serialized) { Switch (Arg0) { Case (1) { Return (1) } }
Return (0x44) }
Method (T045, 0, Serialized)
{
Return (EW02 (5))
}
Method (EW03, 1, Serialized) { Switch (ToBuffer (Arg0)) { Case (Buffer () {1}) { Return (1) } Default { Return (2) } } }
Method (T046, 0, Serialized)
{
Return (EW03 (Buffer () {1}))
}
Method (T047, 0, Serialized)
{
Local0 = Package () {ED00, EA02}; Return (Local0)
}
Method (T048, 0, Serialized)
{
Local0 = Package (2) {}; Local0 [1] = Local0; Return (SizeOf (Local0))
}
Method (T049, 0, Serialized)
{
Local0 = Timer; Sleep (2); Return (Timer - Local0 >= 20000)
}
Method (T04A, 0, Serialized)
{
Return (Revision >= 2)
}
}
