DefinitionBlock ("", "DSDT", 1, "VCPUHP", "GOLDEN", 1)
{

Method (T000, 0, Serialized)
{
Return (0xFFFFFFFF + 2)
}
Method (T001, 0, Serialized)
{
Return (Ones)
}
Method (T002, 0, Serialized)
{
Local0 = 0; Return (~Local0)
}
Method (T003, 0, Serialized)
{
Local0 = 0x12; Return (Concatenate ("", Local0))
}
Method (T004, 0, Serialized)
{
Return (Buffer () {1, 2, 3, 4, 5, 6} + 0)
}
}
