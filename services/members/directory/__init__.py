"""The members' directory: verified members search each other."""
