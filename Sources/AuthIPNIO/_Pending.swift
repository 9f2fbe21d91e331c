// Placeholder until the driver lands; removed then.
