"""consultation"""
