DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{

Method (T000, 0, Serialized)
{
Local0 = 0
Return (ToHexString (Local0))
}
Method (T001, 0, Serialized)
{
Local0 = 0xF
Return (ToHexString (Local0))
}
Method (T002, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToHexString (Local0))
}
Method (T003, 0, Serialized)
{
Local0 = Ones
Return (ToHexString (Local0))
}
Method (T004, 0, Serialized)
{
Local0 = ""
Return (ToHexString (Local0))
}
Method (T005, 0, Serialized)
{
Local0 = "abc"
Return (ToHexString (Local0))
}
Method (T006, 0, Serialized)
{
Local0 = "0x1F"
Return (ToHexString (Local0))
}
Method (T007, 0, Serialized)
{
Local0 = "123"
Return (ToHexString (Local0))
}
Method (T008, 0, Serialized)
{
Local0 = Buffer (0) {}
Return (ToHexString (Local0))
}
Method (T009, 0, Serialized)
{
Local0 = Buffer () {0}
Return (ToHexString (Local0))
}
Method (T00A, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
Return (ToHexString (Local0))
}
Method (T00B, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToHexString (Local0))
}
Method (T00C, 0, Serialized)
{
Local0 = Package () {1, 2}
Return (ToHexString (Local0))
}
Method (T00D, 0, Serialized)
{
Local0 = RefOf (\_SB)
Return (ToHexString (Local0))
}
Method (T00E, 0, Serialized)
{
Local0 = 0
Return (ToDecimalString (Local0))
}
Method (T00F, 0, Serialized)
{
Local0 = 0xF
Return (ToDecimalString (Local0))
}
Method (T010, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToDecimalString (Local0))
}
Method (T011, 0, Serialized)
{
Local0 = Ones
Return (ToDecimalString (Local0))
}
Method (T012, 0, Serialized)
{
Local0 = ""
Return (ToDecimalString (Local0))
}
Method (T013, 0, Serialized)
{
Local0 = "abc"
Return (ToDecimalString (Local0))
}
Method (T014, 0, Serialized)
{
Local0 = "0x1F"
Return (ToDecimalString (Local0))
}
Method (T015, 0, Serialized)
{
Local0 = "123"
Return (ToDecimalString (Local0))
}
Method (T016, 0, Serialized)
{
Local0 = Buffer (0) {}
Return (ToDecimalString (Local0))
}
Method (T017, 0, Serialized)
{
Local0 = Buffer () {0}
Return (ToDecimalString (Local0))
}
Method (T018, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
Return (ToDecimalString (Local0))
}
Method (T019, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToDecimalString (Local0))
}
Method (T01A, 0, Serialized)
{
Local0 = Package () {1, 2}
Return (ToDecimalString (Local0))
}
Method (T01B, 0, Serialized)
{
Local0 = RefOf (\_SB)
Return (ToDecimalString (Local0))
}
Method (T01C, 0, Serialized)
{
Local0 = 0
Return (ToBuffer (Local0))
}
Method (T01D, 0, Serialized)
{
Local0 = 0xF
Return (ToBuffer (Local0))
}
Method (T01E, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToBuffer (Local0))
}
Method (T01F, 0, Serialized)
{
Local0 = Ones
Return (ToBuffer (Local0))
}
Method (T020, 0, Serialized)
{
Local0 = ""
Return (ToBuffer (Local0))
}
Method (T021, 0, Serialized)
{
Local0 = "abc"
Return (ToBuffer (Local0))
}
Method (T022, 0, Serialized)
{
Local0 = "0x1F"
Return (ToBuffer (Local0))
}
Method (T023, 0, Serialized)
{
Local0 = "123"
Return (ToBuffer (Local0))
}
Method (T024, 0, Serialized)
{
Local0 = Buffer (0) {}
Return (ToBuffer (Local0))
}
Method (T025, 0, Serialized)
{
Local0 = Buffer () {0}
Return (ToBuffer (Local0))
}
Method (T026, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
Return (ToBuffer (Local0))
}
Method (T027, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToBuffer (Local0))
}
Method (T028, 0, Serialized)
{
Local0 = Package () {1, 2}
Return (ToBuffer (Local0))
}
Method (T029, 0, Serialized)
{
Local0 = RefOf (\_SB)
Return (ToBuffer (Local0))
}
Method (T02A, 0, Serialized)
{
Local0 = 0
Return (ToInteger (Local0))
}
Method (T02B, 0, Serialized)
{
Local0 = 0xF
Return (ToInteger (Local0))
}
Method (T02C, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToInteger (Local0))
}
Method (T02D, 0, Serialized)
{
Local0 = Ones
Return (ToInteger (Local0))
}
Method (T02E, 0, Serialized)
{
Local0 = ""
Return (ToInteger (Local0))
}
Method (T02F, 0, Serialized)
{
Local0 = "abc"
Return (ToInteger (Local0))
}
Method (T030, 0, Serialized)
{
Local0 = "0x1F"
Return (ToInteger (Local0))
}
Method (T031, 0, Serialized)
{
Local0 = "123"
Return (ToInteger (Local0))
}
Method (T032, 0, Serialized)
{
Local0 = Buffer (0) {}
Return (ToInteger (Local0))
}
Method (T033, 0, Serialized)
{
Local0 = Buffer () {0}
Return (ToInteger (Local0))
}
Method (T034, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
Return (ToInteger (Local0))
}
Method (T035, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToInteger (Local0))
}
Method (T036, 0, Serialized)
{
Local0 = Package () {1, 2}
Return (ToInteger (Local0))
}
Method (T037, 0, Serialized)
{
Local0 = RefOf (\_SB)
Return (ToInteger (Local0))
}
Method (T038, 0, Serialized)
{
Local0 = ""
Return (ToInteger (Local0))
}
Method (T039, 0, Serialized)
{
Local0 = "0"
Return (ToInteger (Local0))
}
Method (T03A, 0, Serialized)
{
Local0 = "123"
Return (ToInteger (Local0))
}
Method (T03B, 0, Serialized)
{
Local0 = "0x1F"
Return (ToInteger (Local0))
}
Method (T03C, 0, Serialized)
{
Local0 = "0X1f"
Return (ToInteger (Local0))
}
Method (T03D, 0, Serialized)
{
Local0 = "0x"
Return (ToInteger (Local0))
}
Method (T03E, 0, Serialized)
{
Local0 = "0X"
Return (ToInteger (Local0))
}
Method (T03F, 0, Serialized)
{
Local0 = "12XY"
Return (ToInteger (Local0))
}
Method (T040, 0, Serialized)
{
Local0 = "  123"
Return (ToInteger (Local0))
}
Method (T041, 0, Serialized)
{
Local0 = "\t7"
Return (ToInteger (Local0))
}
Method (T042, 0, Serialized)
{
Local0 = "0123"
Return (ToInteger (Local0))
}
Method (T043, 0, Serialized)
{
Local0 = "+5"
Return (ToInteger (Local0))
}
Method (T044, 0, Serialized)
{
Local0 = "-5"
Return (ToInteger (Local0))
}
Method (T045, 0, Serialized)
{
Local0 = "99999999999999999999"
Return (ToInteger (Local0))
}
Method (T046, 0, Serialized)
{
Local0 = "0xDEADBEEFCAFEBABE1"
Return (ToInteger (Local0))
}
Method (T047, 0, Serialized)
{
Local0 = "0xDeAdBeeF"
Return (ToInteger (Local0))
}
Method (T048, 0, Serialized)
{
Local0 = "18446744073709551615"
Return (ToInteger (Local0))
}
Method (T049, 0, Serialized)
{
Local0 = "18446744073709551616"
Return (ToInteger (Local0))
}
Method (T04A, 0, Serialized)
{
Local0 = "0x0000000000000000001"
Return (ToInteger (Local0))
}
Method (T04B, 0, Serialized)
{
Local0 = "1 2"
Return (ToInteger (Local0))
}
Method (T04C, 0, Serialized)
{
Local0 = "x1"
Return (ToInteger (Local0))
}
Name (N000, 0)
Method (T04D, 0, Serialized)
{
Local0 = Buffer () {0x12, 0x34}
ToHexString (Local0, Local1)
Local2 = Package () {0, 0}
Local2 [0] = Local1
Return (Local2)
}
Name (N000, 0)
Method (T04E, 0, Serialized)
{
Local0 = Buffer () {0x12, 0x34}
ToDecimalString (Local0, Local1)
Local2 = Package () {0, 0}
Local2 [0] = Local1
Return (Local2)
}
Name (N000, 0)
Method (T04F, 0, Serialized)
{
Local0 = Buffer () {0x12, 0x34}
ToBuffer (Local0, Local1)
Local2 = Package () {0, 0}
Local2 [0] = Local1
Return (Local2)
}
Name (N000, 0)
Method (T050, 0, Serialized)
{
Local0 = Buffer () {0x12, 0x34}
ToInteger (Local0, Local1)
Local2 = Package () {0, 0}
Local2 [0] = Local1
Return (Local2)
}
Method (T051, 0, Serialized)
{
Local0 = Buffer () {0x41, 0x42, 0x43}
Local1 = Ones
Return (ToString (Local0, Local1))
}
Method (T052, 0, Serialized)
{
Local0 = Buffer () {0x41, 0x42, 0x43}
Local1 = 0
Return (ToString (Local0, Local1))
}
Method (T053, 0, Serialized)
{
Local0 = Buffer () {0x41, 0x42, 0x43}
Local1 = 1
Return (ToString (Local0, Local1))
}
Method (T054, 0, Serialized)
{
Local0 = Buffer () {0x41, 0x42, 0x43}
Local1 = 2
Return (ToString (Local0, Local1))
}
Method (T055, 0, Serialized)
{
Local0 = Buffer () {0x41, 0x42, 0x43}
Local1 = 5
Return (ToString (Local0, Local1))
}
Method (T056, 0, Serialized)
{
Local0 = Buffer () {0x41, 0, 0x43}
Local1 = Ones
Return (ToString (Local0, Local1))
}
Method (T057, 0, Serialized)
{
Local0 = Buffer () {0x41, 0, 0x43}
Local1 = 0
Return (ToString (Local0, Local1))
}
Method (T058, 0, Serialized)
{
Local0 = Buffer () {0x41, 0, 0x43}
Local1 = 1
Return (ToString (Local0, Local1))
}
Method (T059, 0, Serialized)
{
Local0 = Buffer () {0x41, 0, 0x43}
Local1 = 2
Return (ToString (Local0, Local1))
}
Method (T05A, 0, Serialized)
{
Local0 = Buffer () {0x41, 0, 0x43}
Local1 = 5
Return (ToString (Local0, Local1))
}
Method (T05B, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = Ones
Return (ToString (Local0, Local1))
}
Method (T05C, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = 0
Return (ToString (Local0, Local1))
}
Method (T05D, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = 1
Return (ToString (Local0, Local1))
}
Method (T05E, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = 2
Return (ToString (Local0, Local1))
}
Method (T05F, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = 5
Return (ToString (Local0, Local1))
}
Method (T060, 0, Serialized)
{
Local0 = 0x4142
Return (ToString (Local0, Ones))
}
Method (T061, 0, Serialized)
{
Local0 = "AB"
Return (ToString (Local0, Ones))
}
Method (T062, 0, Serialized)
{
Local0 = 0x1F
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T063, 0, Serialized)
{
Local0 = 0x1F
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T064, 0, Serialized)
{
Local0 = 0x1F
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T065, 0, Serialized)
{
Local0 = 0x1F
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T066, 0, Serialized)
{
Local0 = 0x1F
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T067, 0, Serialized)
{
Local0 = 0x1F
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T068, 0, Serialized)
{
Local0 = 0x1F
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T069, 0, Serialized)
{
Local0 = "ab"
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T06A, 0, Serialized)
{
Local0 = "ab"
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T06B, 0, Serialized)
{
Local0 = "ab"
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T06C, 0, Serialized)
{
Local0 = "ab"
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T06D, 0, Serialized)
{
Local0 = "ab"
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T06E, 0, Serialized)
{
Local0 = "ab"
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T06F, 0, Serialized)
{
Local0 = "ab"
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T070, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T071, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T072, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T073, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T074, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T075, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T076, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T077, 0, Serialized)
{
Local0 = ""
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T078, 0, Serialized)
{
Local0 = ""
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T079, 0, Serialized)
{
Local0 = ""
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T07A, 0, Serialized)
{
Local0 = ""
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T07B, 0, Serialized)
{
Local0 = ""
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T07C, 0, Serialized)
{
Local0 = ""
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T07D, 0, Serialized)
{
Local0 = ""
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T07E, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T07F, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T080, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T081, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T082, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T083, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T084, 0, Serialized)
{
Local0 = Buffer (0) {}
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T085, 0, Serialized)
{
Local0 = Package () {1}
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T086, 0, Serialized)
{
Local0 = Package () {1}
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T087, 0, Serialized)
{
Local0 = Package () {1}
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T088, 0, Serialized)
{
Local0 = Package () {1}
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T089, 0, Serialized)
{
Local0 = Package () {1}
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T08A, 0, Serialized)
{
Local0 = Package () {1}
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T08B, 0, Serialized)
{
Local0 = Package () {1}
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Method (T08C, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T08D, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T08E, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T08F, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = ""
Return (Concatenate (Local0, Local1))
}
Method (T090, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = Buffer (0) {}
Return (Concatenate (Local0, Local1))
}
Method (T091, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = Package () {1}
Return (Concatenate (Local0, Local1))
}
Method (T092, 0, Serialized)
{
Local0 = RefOf (\_SB)
Local1 = RefOf (\_SB)
Return (Concatenate (Local0, Local1))
}
Name (N093, 0x5A)
Method (T093, 0, Serialized)
{
Local0 = 0
N093 = Local0
Return (N093)
}
Name (N094, 0x5A)
Method (T094, 0, Serialized)
{
Local0 = 0xF
N094 = Local0
Return (N094)
}
Name (N095, 0x5A)
Method (T095, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
N095 = Local0
Return (N095)
}
Name (N096, 0x5A)
Method (T096, 0, Serialized)
{
Local0 = Ones
N096 = Local0
Return (N096)
}
Name (N097, 0x5A)
Method (T097, 0, Serialized)
{
Local0 = ""
N097 = Local0
Return (N097)
}
Name (N098, 0x5A)
Method (T098, 0, Serialized)
{
Local0 = "abc"
N098 = Local0
Return (N098)
}
Name (N099, 0x5A)
Method (T099, 0, Serialized)
{
Local0 = "0x1F"
N099 = Local0
Return (N099)
}
Name (N09A, 0x5A)
Method (T09A, 0, Serialized)
{
Local0 = "123"
N09A = Local0
Return (N09A)
}
Name (N09B, 0x5A)
Method (T09B, 0, Serialized)
{
Local0 = Buffer (0) {}
N09B = Local0
Return (N09B)
}
Name (N09C, 0x5A)
Method (T09C, 0, Serialized)
{
Local0 = Buffer () {0}
N09C = Local0
Return (N09C)
}
Name (N09D, 0x5A)
Method (T09D, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
N09D = Local0
Return (N09D)
}
Name (N09E, 0x5A)
Method (T09E, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
N09E = Local0
Return (N09E)
}
Name (N09F, "zz")
Method (T09F, 0, Serialized)
{
Local0 = 0
N09F = Local0
Return (N09F)
}
Name (N0A0, "zz")
Method (T0A0, 0, Serialized)
{
Local0 = 0xF
N0A0 = Local0
Return (N0A0)
}
Name (N0A1, "zz")
Method (T0A1, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
N0A1 = Local0
Return (N0A1)
}
Name (N0A2, "zz")
Method (T0A2, 0, Serialized)
{
Local0 = Ones
N0A2 = Local0
Return (N0A2)
}
Name (N0A3, "zz")
Method (T0A3, 0, Serialized)
{
Local0 = ""
N0A3 = Local0
Return (N0A3)
}
Name (N0A4, "zz")
Method (T0A4, 0, Serialized)
{
Local0 = "abc"
N0A4 = Local0
Return (N0A4)
}
Name (N0A5, "zz")
Method (T0A5, 0, Serialized)
{
Local0 = "0x1F"
N0A5 = Local0
Return (N0A5)
}
Name (N0A6, "zz")
Method (T0A6, 0, Serialized)
{
Local0 = "123"
N0A6 = Local0
Return (N0A6)
}
Name (N0A7, "zz")
Method (T0A7, 0, Serialized)
{
Local0 = Buffer (0) {}
N0A7 = Local0
Return (N0A7)
}
Name (N0A8, "zz")
Method (T0A8, 0, Serialized)
{
Local0 = Buffer () {0}
N0A8 = Local0
Return (N0A8)
}
Name (N0A9, "zz")
Method (T0A9, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
N0A9 = Local0
Return (N0A9)
}
Name (N0AA, "zz")
Method (T0AA, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
N0AA = Local0
Return (N0AA)
}
Name (N0AB, Buffer (3) {9, 9, 9})
Method (T0AB, 0, Serialized)
{
Local0 = 0
N0AB = Local0
Return (N0AB)
}
Name (N0AC, Buffer (3) {9, 9, 9})
Method (T0AC, 0, Serialized)
{
Local0 = 0xF
N0AC = Local0
Return (N0AC)
}
Name (N0AD, Buffer (3) {9, 9, 9})
Method (T0AD, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
N0AD = Local0
Return (N0AD)
}
Name (N0AE, Buffer (3) {9, 9, 9})
Method (T0AE, 0, Serialized)
{
Local0 = Ones
N0AE = Local0
Return (N0AE)
}
Name (N0AF, Buffer (3) {9, 9, 9})
Method (T0AF, 0, Serialized)
{
Local0 = ""
N0AF = Local0
Return (N0AF)
}
Name (N0B0, Buffer (3) {9, 9, 9})
Method (T0B0, 0, Serialized)
{
Local0 = "abc"
N0B0 = Local0
Return (N0B0)
}
Name (N0B1, Buffer (3) {9, 9, 9})
Method (T0B1, 0, Serialized)
{
Local0 = "0x1F"
N0B1 = Local0
Return (N0B1)
}
Name (N0B2, Buffer (3) {9, 9, 9})
Method (T0B2, 0, Serialized)
{
Local0 = "123"
N0B2 = Local0
Return (N0B2)
}
Name (N0B3, Buffer (3) {9, 9, 9})
Method (T0B3, 0, Serialized)
{
Local0 = Buffer (0) {}
N0B3 = Local0
Return (N0B3)
}
Name (N0B4, Buffer (3) {9, 9, 9})
Method (T0B4, 0, Serialized)
{
Local0 = Buffer () {0}
N0B4 = Local0
Return (N0B4)
}
Name (N0B5, Buffer (3) {9, 9, 9})
Method (T0B5, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
N0B5 = Local0
Return (N0B5)
}
Name (N0B6, Buffer (3) {9, 9, 9})
Method (T0B6, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
N0B6 = Local0
Return (N0B6)
}
Method (T0B7, 0, Serialized)
{
Local0 = 0x1F
Local1 = 0x1F
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0B8, 0, Serialized)
{
Local0 = 0x1F
Local1 = "1F"
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0B9, 0, Serialized)
{
Local0 = 0x1F
Local1 = Buffer () {0x1F}
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BA, 0, Serialized)
{
Local0 = "0x1F"
Local1 = 0x1F
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BB, 0, Serialized)
{
Local0 = "0x1F"
Local1 = "1F"
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BC, 0, Serialized)
{
Local0 = "0x1F"
Local1 = Buffer () {0x1F}
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BD, 0, Serialized)
{
Local0 = Buffer () {0x1F}
Local1 = 0x1F
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BE, 0, Serialized)
{
Local0 = Buffer () {0x1F}
Local1 = "1F"
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0BF, 0, Serialized)
{
Local0 = Buffer () {0x1F}
Local1 = Buffer () {0x1F}
Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))
}
Method (T0C0, 0, Serialized)
{
Local0 = ""
Return (Local0 + 1)
}
Method (T0C1, 0, Serialized)
{
Local0 = "abc"
Return (Local0 + 1)
}
Method (T0C2, 0, Serialized)
{
Local0 = "0x1F"
Return (Local0 + 1)
}
Method (T0C3, 0, Serialized)
{
Local0 = "123"
Return (Local0 + 1)
}
Method (T0C4, 0, Serialized)
{
Local0 = Buffer (0) {}
Return (Local0 + 1)
}
Method (T0C5, 0, Serialized)
{
Local0 = Buffer () {0}
Return (Local0 + 1)
}
Method (T0C6, 0, Serialized)
{
Local0 = Buffer () {1, 0xAB, 0xFF}
Return (Local0 + 1)
}
Method (T0C7, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (Local0 + 1)
}
}
