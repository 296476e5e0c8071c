// NetBIOS Name Service: the registration and decode step (register.ts), the fields (fields.ts),
// and NetBIOS names as tshark shows them (names.ts), which the session service reads too.
import './register';
import './fields';
