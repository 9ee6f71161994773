public enum FerryTestSupportPlaceholder {}
