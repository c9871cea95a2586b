DefinitionBlock ("", "DSDT", 1, "VCPUHP", "GOLDEN", 1)
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
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToHexString (Local0))
}
Method (T005, 0, Serialized)
{
Local0 = "0x123456789"
Return (ToHexString (Local0))
}
Method (T006, 0, Serialized)
{
Local0 = "4294967296"
Return (ToHexString (Local0))
}
Method (T007, 0, Serialized)
{
Local0 = 0
Return (ToDecimalString (Local0))
}
Method (T008, 0, Serialized)
{
Local0 = 0xF
Return (ToDecimalString (Local0))
}
Method (T009, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToDecimalString (Local0))
}
Method (T00A, 0, Serialized)
{
Local0 = Ones
Return (ToDecimalString (Local0))
}
Method (T00B, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToDecimalString (Local0))
}
Method (T00C, 0, Serialized)
{
Local0 = "0x123456789"
Return (ToDecimalString (Local0))
}
Method (T00D, 0, Serialized)
{
Local0 = "4294967296"
Return (ToDecimalString (Local0))
}
Method (T00E, 0, Serialized)
{
Local0 = 0
Return (ToBuffer (Local0))
}
Method (T00F, 0, Serialized)
{
Local0 = 0xF
Return (ToBuffer (Local0))
}
Method (T010, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToBuffer (Local0))
}
Method (T011, 0, Serialized)
{
Local0 = Ones
Return (ToBuffer (Local0))
}
Method (T012, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToBuffer (Local0))
}
Method (T013, 0, Serialized)
{
Local0 = "0x123456789"
Return (ToBuffer (Local0))
}
Method (T014, 0, Serialized)
{
Local0 = "4294967296"
Return (ToBuffer (Local0))
}
Method (T015, 0, Serialized)
{
Local0 = 0
Return (ToInteger (Local0))
}
Method (T016, 0, Serialized)
{
Local0 = 0xF
Return (ToInteger (Local0))
}
Method (T017, 0, Serialized)
{
Local0 = 0x123456789ABCDEF0
Return (ToInteger (Local0))
}
Method (T018, 0, Serialized)
{
Local0 = Ones
Return (ToInteger (Local0))
}
Method (T019, 0, Serialized)
{
Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}
Return (ToInteger (Local0))
}
Method (T01A, 0, Serialized)
{
Local0 = "0x123456789"
Return (ToInteger (Local0))
}
Method (T01B, 0, Serialized)
{
Local0 = "4294967296"
Return (ToInteger (Local0))
}
Method (T01C, 0, Serialized)
{
Local0 = 0x1F
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T01D, 0, Serialized)
{
Local0 = 0x1F
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T01E, 0, Serialized)
{
Local0 = 0x1F
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T01F, 0, Serialized)
{
Local0 = "ab"
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T020, 0, Serialized)
{
Local0 = "ab"
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T021, 0, Serialized)
{
Local0 = "ab"
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
Method (T022, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = 0x1F
Return (Concatenate (Local0, Local1))
}
Method (T023, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = "ab"
Return (Concatenate (Local0, Local1))
}
Method (T024, 0, Serialized)
{
Local0 = Buffer () {1, 2}
Local1 = Buffer () {1, 2}
Return (Concatenate (Local0, Local1))
}
}
