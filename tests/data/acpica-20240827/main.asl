DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{

Method (T000, 0, Serialized)
{
Return (0x10 + 0x22)
}
Method (T001, 0, Serialized)
{
Return (0xFFFFFFFFFFFFFFFF + 2)
}
Method (T002, 0, Serialized)
{
Local0 = 1; Return (Local0 - 2)
}
Method (T003, 0, Serialized)
{
Local0 = 0x100000000; Return (Local0 * 0x10)
}
Method (T004, 0, Serialized)
{
Divide (100, 7, Local1, Local0); Return (Local0)
}
Method (T005, 0, Serialized)
{
Divide (100, 7, Local1, Local0); Return (Local1)
}
Method (T006, 0, Serialized)
{
Local0 = 0; Return (Divide (1, Local0))
}
Method (T007, 0, Serialized)
{
Local0 = 7; Return (100 % Local0)
}
Method (T008, 0, Serialized)
{
Local0 = 1; Return (Local0 << 63)
}
Method (T009, 0, Serialized)
{
Local0 = 1; Local1 = 64; Return (Local0 << Local1)
}
Method (T00A, 0, Serialized)
{
Local0 = 0x8000000000000000; Return (Local0 >> 4)
}
Method (T00B, 0, Serialized)
{
Local0 = 0xF0; Return (((Local0 & 0x3C) | 0x101) ^ 0xFF)
}
Method (T00C, 0, Serialized)
{
Local0 = 0xF0; Return (NAnd (Local0, 0x3C))
}
Method (T00D, 0, Serialized)
{
Local0 = 0xF0; Return (NOr (Local0, 0x0F))
}
Method (T00E, 0, Serialized)
{
Local0 = 0x0F; Return (~Local0)
}
Method (T00F, 0, Serialized)
{
Local0 = 0x1000; Return (FindSetLeftBit (Local0))
}
Method (T010, 0, Serialized)
{
Local0 = 0x1000; Return (FindSetRightBit (Local0))
}
Method (T011, 0, Serialized)
{
Local0 = 0; Return (FindSetLeftBit (Local0) + FindSetRightBit (Local0))
}
Method (T012, 0, Serialized)
{
Local0 = 0x1234; Return (FromBCD (Local0))
}
Method (T013, 0, Serialized)
{
Local0 = 1234; Return (ToBCD (Local0))
}
Method (T014, 0, Serialized)
{
Local0 = 5; Local0++; Local0++; Local0--; Return (Local0)
}
Method (T015, 0, Serialized)
{
Local0 = 0; Local0--; Return (Local0)
}
Method (T016, 0, Serialized)
{
Local0 = 3; Return (LAnd (Local0, 2))
}
Method (T017, 0, Serialized)
{
Local0 = 0; Return (LAnd (Local0, 2))
}
Method (T018, 0, Serialized)
{
Local0 = 0; Return (LOr (Local0, 2))
}
Method (T019, 0, Serialized)
{
Local0 = 0; Return (!Local0)
}
Method (T01A, 0, Serialized)
{
Local0 = 5; Return (Local0 == 5)
}
Method (T01B, 0, Serialized)
{
Local0 = 5; Return (Local0 <= 4)
}
Method (T01C, 0, Serialized)
{
Local0 = 5; Return (Local0 >= 5)
}
Method (T01D, 0, Serialized)
{
Local0 = 5; Return (Local0 != 5)
}
Method (T01E, 0, Serialized)
{
Local0 = "abc"; Return (Local0 == "abc")
}
Method (T01F, 0, Serialized)
{
Local0 = "abc"; Return (Local0 < "abd")
}
Method (T020, 0, Serialized)
{
Local0 = "ab"; Return (Local0 < "abc")
}
Method (T021, 0, Serialized)
{
Local0 = Buffer () {1, 3}; Return (Local0 > Buffer () {1, 2, 9})
}
Method (T022, 0, Serialized)
{
Local0 = "1A"; Return (Local0 == 0x1A)
}
Method (T023, 0, Serialized)
{
Local0 = "10"; Return (Local0 + 1)
}
Method (T024, 0, Serialized)
{
Local0 = "12XY"; Return (Local0 + 0)
}
Method (T025, 0, Serialized)
{
Local0 = Buffer () {0x01, 0x02, 0x03}; Return (Local0 + 0)
}
Method (T026, 0, Serialized)
{
Local0 = Buffer () {1,2,3,4,5,6,7,8,9,10}; Return (Local0 + 0)
}
Name (S001, "xyz")
Method (T027, 0, Serialized)
{
S001 = 0x1234; Return (S001)
}
Name (I001, 0)
Method (T028, 0, Serialized)
{
I001 = "1234"; Return (I001)
}
Name (I002, 0)
Method (T029, 0, Serialized)
{
I002 = Buffer () {0x78, 0x56, 0x34, 0x12}; Return (I002)
}
Name (B001, Buffer (2) {})
Method (T02A, 0, Serialized)
{
B001 = 0x12345678; Return (B001)
}
Name (B002, Buffer (4) {9, 9, 9, 9})
Method (T02B, 0, Serialized)
{
B002 = Buffer () {1, 2}; Return (B002)
}
Name (B003, Buffer (6) {})
Method (T02C, 0, Serialized)
{
B003 = "abc"; Return (B003)
}
Name (S002, "")
Method (T02D, 0, Serialized)
{
S002 = Buffer () {0x41, 0x42}; Return (S002)
}
Name (I003, 5)
Method (T02E, 0, Serialized)
{
CopyObject ("str", I003); Return (I003)
}
Method (T02F, 0, Serialized)
{
Return (ToInteger ("123"))
}
Method (T030, 0, Serialized)
{
Return (ToInteger ("0x1F"))
}
Method (T031, 0, Serialized)
{
Return (ToInteger (Buffer () {1, 2}))
}
Method (T032, 0, Serialized)
{
Return (ToString (Buffer () {0x41, 0x42, 0, 0x43}, Ones))
}
Method (T033, 0, Serialized)
{
Return (ToString (Buffer () {0x41, 0x42, 0x43}, 2))
}
Method (T034, 0, Serialized)
{
Return (ToHexString (Buffer () {1, 0xAB}))
}
Method (T035, 0, Serialized)
{
Local0 = 1234; Return (ToDecimalString (Local0))
}
Method (T036, 0, Serialized)
{
Return (ToDecimalString (Buffer () {1, 200}))
}
Method (T037, 0, Serialized)
{
Local0 = 0x0102; Return (ToBuffer (Local0))
}
Method (T038, 0, Serialized)
{
Return (ToBuffer ("ab"))
}
Method (T039, 0, Serialized)
{
Local0 = 1; Return (Concatenate (Local0, 2))
}
Method (T03A, 0, Serialized)
{
Local0 = 0x1F; Return (Concatenate ("n=", Local0))
}
Method (T03B, 0, Serialized)
{
Return (Concatenate (Buffer () {1}, Buffer () {2, 3}))
}
Method (T03C, 0, Serialized)
{
Return (Concatenate ("b", Buffer () {1, 2}))
}
Method (T03D, 0, Serialized)
{
Return (Mid ("hello world", 6, 3))
}
Method (T03E, 0, Serialized)
{
Return (Mid ("hello", 3, 10))
}
Method (T03F, 0, Serialized)
{
Return (Mid (Buffer () {1, 2, 3, 4}, 1, 2))
}
Method (T040, 0, Serialized)
{
Local0 = ResourceTemplate () {IO (Decode16, 0x10, 0x10, 1, 2)}
Local1 = ResourceTemplate () {IRQNoFlags () {5}}
Return (ConcatenateResTemplate (Local0, Local1))
}
Name (P001, Package () {1, "two", Buffer () {3}})
Method (T041, 0, Serialized)
{
Return (DerefOf (P001 [1]))
}
Name (P002, Package () {1, 2, 3})
Method (T042, 0, Serialized)
{
P002 [1] = 0x20; Return (P002)
}
Method (T043, 0, Serialized)
{
Local0 = Package () {Package () {1, 2}, 3}; Return (DerefOf (DerefOf (Local0 [0]) [1]))
}
Name (P003, Package () {1})
Method (T044, 0, Serialized)
{
Return (DerefOf (P003 [5]))
}
Name (B004, Buffer () {5, 6, 7})
Method (T045, 0, Serialized)
{
Return (DerefOf (B004 [2]))
}
Name (B005, Buffer () {5, 6, 7})
Method (T046, 0, Serialized)
{
B005 [1] = 0x1FF; Return (B005)
}
Method (T047, 0, Serialized)
{
Local0 = "ABC"; Return (DerefOf (Local0 [1]))
}
Name (P004, Package (5) {1})
Method (T048, 0, Serialized)
{
Local0 = "abcd"; Local2 = Buffer (7) {}
Return (SizeOf (Local0) + SizeOf (P004) * 0x100 + SizeOf (Local2) * 0x10000)
}
Method (T049, 0, Serialized)
{
Local0 = 3; Local1 = Package (Local0) {1}; Return (SizeOf (Local1))
}
Name (I004, 1)
Name (S003, "s")
Device (D001) {}
Mutex (M001, 0)
Event (E001)
Method (T04A, 0, Serialized)
{
Local0 = ObjectType (I004) | (ObjectType (S003) << 4) | (ObjectType (D001) << 8)
Local0 |= (ObjectType (M001) << 12) | (ObjectType (E001) << 16) | (ObjectType (Local7) << 20)
Return (Local0)
}
Name (I005, 7)
Method (T04B, 0, Serialized)
{
Local0 = 0
If (CondRefOf (I005, Local1)) { Local0 = DerefOf (Local1) }
If (CondRefOf (\NOPE)) { Local0 += 0x100 }
Return (Local0)
}
Name (I006, 0x55)
Method (T04C, 0, Serialized)
{
Local0 = RefOf (I006); Return (DerefOf (Local0))
}
Name (I007, 1)
Method (W007, 1) { Arg0 = 0x66 }
Method (T04D, 0, Serialized)
{
W007 (RefOf (I007)); Return (I007)
}
Name (P005, Package () {1, 5, 9, 12})
Method (T04E, 0, Serialized)
{
Return (Match (P005, MGT, 4, MLT, 10, 0) | (Match (P005, MEQ, 7, MTR, 0, 0) & 0xF0))
}
Name (P006, Package () {7, 5, 7})
Method (T04F, 0, Serialized)
{
Return (Match (P006, MEQ, 7, MTR, 0, 1))
}
Name (B006, Buffer (16) {})
Method (T050, 0, Serialized)
{
CreateByteField (B006, 1, BF01)
CreateWordField (B006, 2, BF02)
CreateDWordField (B006, 4, BF03)
CreateQWordField (B006, 8, BF04)
CreateBitField (B006, 3, BF05)
BF01 = 0x1FF; BF02 = 0xABCD; BF03 = 0x12345678; BF04 = 0x1122334455667788; BF05 = 1
Return (B006)
}
Name (B007, Buffer (4) {0xFF, 0xFF, 0xFF, 0xFF})
Method (T051, 0, Serialized)
{
CreateField (B007, 5, 11, BF06)
BF06 = 0
Return (B007)
}
Name (B008, Buffer () {0x34, 0x12, 0x78, 0x56})
Method (T052, 0, Serialized)
{
CreateField (B008, 4, 12, BF07)
Return (BF07)
}
Name (B009, Buffer () {0x34, 0x12, 0x78, 0x56})
Method (T053, 0, Serialized)
{
CreateWordField (B009, 1, BF08)
Return (BF08)
}
Method (T054, 0, Serialized)
{
Local0 = 0
While (One) { Local0++
If (Local0 == 10) { Break } }
Return (Local0)
}
Method (T055, 0, Serialized)
{
Local0 = 0; Local1 = 0
While (Local0 < 10) { Local0++
If (Local0 & 1) { Continue }
Local1 += Local0 }
Return (Local1)
}
Method (T056, 0, Serialized)
{
Local0 = 0; Local2 = 0
While (Local0 < 5) { Local1 = 0
While (Local1 < 5) { Local2 += Local0 * Local1
Local1++ }
Local0++ }
Return (Local2)
}
Method (T057, 0, Serialized)
{
Local0 = 3
If (Local0 == 1) { Return (1) } ElseIf (Local0 == 2) { Return (2) } Else { Return (3) }
}
Method (W008, 1, Serialized) { Switch (ToInteger (Arg0)) { Case (1) { Return (0x10) }
Case (Package () {2, 3}) { Return (0x20) }
Default { Return (0x30) } } }
Method (T058, 0, Serialized)
{
Return (W008 (1) | (W008 (3) << 8) | (W008 (9) << 16))
}
Method (W009, 1, Serialized) { Switch (Arg0) { Case ("a") { Return (1) }
Case ("b") { Return (2) } } Return (0) }
Method (T059, 0, Serialized)
{
Return (W009 ("b") + (W009 ("z") << 4))
}
Method (FIB, 1) { If (Arg0 < 2) { Return (Arg0) }
Return (FIB (Arg0 - 1) + FIB (Arg0 - 2)) }
Method (T05A, 0, Serialized)
{
Return (FIB (15))
}
Method (W010, 7) { Return (Arg0 + Arg1 * 2 + Arg2 * 4 + Arg3 * 8 + Arg4 * 16 + Arg5 * 32 + Arg6 * 64) }
Method (T05B, 0, Serialized)
{
Return (W010 (1, 1, 1, 1, 1, 1, 1))
}
Method (W011, 1) { Arg0 = 5
Return (Arg0) }
Method (T05C, 0, Serialized)
{
Local0 = 1; Local1 = W011 (Local0); Return (Local0 + (Local1 << 4))
}
Method (T05D, 0, Serialized)
{
Return (Local3)
}
Method (W012) { }
Method (T05E, 0, Serialized)
{
Local0 = W012 ()
Return (1)
}
Method (W013) { Name (XX01, 5)
XX01++
Return (XX01) }
Method (T05F, 0, Serialized)
{
Return (W013 () + W013 ())
}
Scope (\_SB) { Name (I008, 0x11)
Device (DEV1) { Method (GETV) { Return (I008) } } }
Method (T060, 0, Serialized)
{
Return (\_SB.DEV1.GETV ())
}
Name (I009, 0x77)
Alias (I009, AL01)
Method (T061, 0, Serialized)
{
AL01 = 0x78; Return (I009)
}
Mutex (M002, 0)
Method (T062, 0, Serialized)
{
Local0 = Acquire (M002, 0xFFFF)
Local1 = Acquire (M002, 0)
Release (M002)
Release (M002)
Return (Local0 | Local1)
}
Event (E002)
Method (T063, 0, Serialized)
{
Signal (E002)
Local0 = Wait (E002, 10)
Local1 = Wait (E002, 10)
Return ((Local0 == 0) + (Local1 != 0) * 2)
}
Method (T064, 0, Serialized)
{
Local1 = (Local0 = 0x42) + 1
Return (Local1)
}
Method (T065, 0, Serialized)
{
Local0 = "abc"; Local1 = Local0; Local1 [0] = 0x58; Return (Concatenate (Local0, Local1))
}
Name (B010, Buffer () {1, 2})
Method (T066, 0, Serialized)
{
Local0 = B010; Local0 [0] = 9; Return (B010)
}
Method (T067, 0, Serialized)
{
Debug = "hello"
Debug = 5
Return (2)
}
Method (T068, 0, Serialized)
{
Local0 = Timer; Local1 = Timer; Return (Local1 >= Local0)
}
Method (T069, 0, Serialized)
{
Fatal (1, 2, 3)
Return (1)
}
Method (T06A, 0, Serialized)
{
Local0 = Buffer () {1, 2}; Return (Local0 == Buffer () {1, 2})
}
Method (T06B, 0, Serialized)
{
Local0 = 0xFF; Local1 = 200; Return (Local0 >> Local1)
}
Method (T06C, 0, Serialized)
{
Return (ToBuffer (Buffer () {7, 8}))
}
Method (T06D, 0, Serialized)
{
Local0 = "ab"; Return (Concatenate (Local0, "cd"))
}
Method (T06E, 0, Serialized)
{
Local0 = 0x41; Return (Concatenate (Local0, "1"))
}
Method (T06F, 0, Serialized)
{
Local0 = 0x0102; Return (Concatenate (Buffer () {9}, Local0))
}
Method (T070, 0, Serialized)
{
Return (Mid ("abc", 1, 0))
}
Method (T071, 0, Serialized)
{
Local0 = "abc"; Local0 [1] = 0x5A; Return (Local0)
}
Name (P007, Package () {1})
Method (T072, 0, Serialized)
{
P007 = Package () {5, 6}; Return (P007)
}
Name (P008, Package () {1})
Method (T073, 0, Serialized)
{
P008 = 5; Return (P008)
}
Name (P009, Package () {1, 2})
Method (T074, 0, Serialized)
{
CopyObject (P009, Local0); Local0 [0] = 9; Return (Concatenate (DerefOf (P009 [0]), DerefOf (Local0 [0])))
}
Method (T075, 0, Serialized)
{
Local0 = 0
While (One) { Local0++
If (Local0 > 4) { Return (Local0) } }
}
Method (T076, 0, Serialized)
{
Local0 = 7
While (Zero) { Local0 = 1 }
Return (Local0)
}
Method (T077, 0, Serialized)
{
Local0 = 2
If (Local0 > 1) { If (Local0 < 3) { Return (0x23) } Else { Return (0x33) } }
Return (0)
}
Method (T078, 0, Serialized)
{
Method (NA01, 1) { Return (NB01 (Arg0, 2)) }
Method (NB01, 2) { Return (Arg0 + Arg1) }
Return (NA01 (40))
}
Method (W014) { Return (0x99) }
Method (T079, 0, Serialized)
{
Local0 = W014
Return (Local0)
}
Method (T07A, 0, Serialized)
{
Local0 = 0xFFFFFFFF; Local0++; Return (Local0)
}
Name (P010, Package () {"a", "b", "c"})
Method (T07B, 0, Serialized)
{
Return (Match (P010, MEQ, "c", MTR, 0, 0))
}
Name (B011, Buffer (5) {})
Method (T07C, 0, Serialized)
{
CreateField (B011, 0, 20, BF09)
Return (SizeOf (B011))
}
Name (I010, 3)
Method (T07D, 0, Serialized)
{
I010--; I010--; Return (I010)
}
Name (B012, Buffer (2) {0xFE, 0})
Method (T07E, 0, Serialized)
{
CreateWordField (B012, 0, BF0A)
BF0A++
BF0A++
Return (B012)
}
Name (P011, Package () {Buffer () {1, 2}})
Method (T07F, 0, Serialized)
{
Local0 = DerefOf (P011 [0])
Local0 [1] = 5
Return (DerefOf (P011 [0]))
}
Method (T080, 0, Serialized)
{
Local0 = "0"; Return (LOr (Local0, 0))
}
Method (T081, 0, Serialized)
{
Local0 = 0; Return (Not (Local0))
}
Event (E003)
Method (T082, 0, Serialized)
{
Signal (E003)
Reset (E003)
Return (Wait (E003, 1) != 0)
}
Method (T083, 0, Serialized)
{
Local0 = Acquire (\_GL, 0xFFFF)
Release (\_GL)
Return (Local0)
}
Method (T084, 0, Serialized)
{
Return (\_OS)
}
Method (T085, 0, Serialized)
{
Return (\_OSI ("Windows 2009"))
}
}
