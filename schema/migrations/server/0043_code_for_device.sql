-- A code made for one device already enrolled here (`enroll-code --block NAME --again DEVICE`):
-- it enrolls that device again, whatever it has done here, and no other. A device at work is
-- otherwise refused a new code (a code does not hand over a device that works), which left a
-- block with no way back after its district lost its certificate, or was put back from a
-- backup holding the block's first secret. NULL for a code for a new device.
ALTER TABLE enrollment_code ADD COLUMN for_device TEXT;
