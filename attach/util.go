package attach

func htons(v uint16) uint16 { return v<<8 | v>>8 }
