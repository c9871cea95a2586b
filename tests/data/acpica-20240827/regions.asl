DefinitionBlock ("", "DSDT", 2, "VCPUHP", "GOLDEN", 1)
{

    OperationRegion (RAM0, SystemMemory, 0x100000, 0x40)
    Field (RAM0, ByteAcc, NoLock, Preserve) { FB00, 8, FB01, 4, FB02, 4, , 3, FB03, 9, Offset (8), FB04, 64 }
    Field (RAM0, DWordAcc, NoLock, WriteAsOnes) { Offset (0x10), FD00, 5, FD01, 20, Offset (0x18), FD02, 32 }
    Field (RAM0, WordAcc, NoLock, WriteAsZeros) { Offset (0x1C), FW00, 3, FW01, 10 }
    Field (RAM0, AnyAcc, NoLock, Preserve) { Offset (0x20), FA00, 128 }
    Field (RAM0, QWordAcc, NoLock, Preserve) { Offset (0x28), FQ00, 4, , 56, FQ01, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x30), IDX0, 8, DAT0, 8, BNK0, 8 }
    IndexField (IDX0, DAT0, ByteAcc, NoLock, Preserve) { IF00, 8, IF01, 8, Offset (4), IF02, 16 }
    BankField (RAM0, BNK0, 1, ByteAcc, NoLock, Preserve) { Offset (0x38), BF10, 8 }
    BankField (RAM0, BNK0, 2, ByteAcc, NoLock, Preserve) { Offset (0x38), BF20, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x38), RAW0, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x10), RD00, 32, RD01, 32, Offset (0x1C), RW00, 16,
        Offset (0x28), RQ00, 64, Offset (0x31), RIDX, 8 }

Method (T000, 0, Serialized)
{
FB00 = 0x1234; FB01 = 0xF; FB02 = 3; FB03 = 0x1FF
Return (Concatenate (Concatenate (FB00, FB01), Concatenate (FB02, FB03)))
}
Method (T001, 0, Serialized)
{
FB04 = 0x0102030405060708; Return (FB04)
}
Method (T002, 0, Serialized)
{
FD00 = 0; FD01 = 0x12345; FD02 = 0xAABBCCDD; Return (Concatenate (RD00, RD01))
}
Method (T003, 0, Serialized)
{
RW00 = 0xFFFF; FW01 = 0x155; Return (RW00)
}
Method (T004, 0, Serialized)
{
FA00 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
Return (FA00)
}
Method (T005, 0, Serialized)
{
RQ00 = 0xFFFFFFFFFFFFFFFF; FQ00 = 0; FQ01 = 0x5A; Return (RQ00)
}
Method (T006, 0, Serialized)
{
IF00 = 0x11; IF01 = 0x22; IF02 = 0x3344
Return (Concatenate (RIDX, Concatenate (IF00, IF02)))
}
Method (T007, 0, Serialized)
{
BF10 = 0x11; Local0 = RAW0; BF20 = 0x22; Local1 = RAW0
Return (Local0 + (Local1 << 8) + (BNK0 << 16))
}
Method (T008, 0, Serialized)
{
FD02 = "AB"; Return (FD02)
}
}
