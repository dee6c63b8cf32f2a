"""The plugin contract and host: hook specifications, the pluggy host, the Algorithm/Recognizer
contract and the value types plugins build."""
